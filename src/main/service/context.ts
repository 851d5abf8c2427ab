import type { JobsContext } from '../jobs/context';
import type { WriterIo } from '../export/safe-write';

/**
 * What only the desktop shell can do with an exported file. The Electron shell passes one to
 * createService; the web host and the CLI have none, so those methods answer `unsupported`.
 */
export interface DesktopBridge {
  reveal(file: string): void | Promise<void>;
  copyImage(file: string): void | Promise<void>;
  startDrag(file: string): void | Promise<void>;
}

/** The context the service's handlers share: the engine's and the jobs' state, plus the door's extras. */
export interface ServiceContext extends JobsContext {
  /** Export's desktop-only actions (export.reveal / export.copy / export.drag); null outside Electron. */
  desktop: DesktopBridge | null;
  /** Tests: route export writes through other file operations (a simulated full disk). */
  exportIo: WriterIo | undefined;
}
