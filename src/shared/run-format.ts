/**
 * How a run and its quality number read to a person, the same in the studio and the terminal: the
 * family names the Train form uses, one scale for KID (×10³, as the monitor charts it) with rounding to
 * what the measure can tell apart, and the start time that (with the run's number) tells two runs of
 * the same model on the same dataset apart. Nothing here imports node or the DOM.
 */
import type { ModelFamily, Run, TrainLength } from './contract';
import { isTextFamily } from './families';

/** What the Train form calls each family (and what default run names say). */
export const FAMILY_LABELS: Record<ModelFamily, string> = {
  default: 'Small-data GAN',
  mlpgan: 'MLP GAN',
  dcgan: 'DCGAN',
  cgan: 'Conditional GAN',
  vae: 'VAE',
  charlstm: 'Char LSTM',
  chartransformer: 'Char Transformer',
};

export function familyLabel(family: string): string {
  return (FAMILY_LABELS as Record<string, string>)[family] ?? family;
}

/**
 * The names of the quality probe's measures that are KIDs. The probe reports them as plain KID; every
 * door shows them, like a checkpoint's `metric` and a run's `bestMetric`, as KID × 10³.
 */
export const KID_MEASURES: readonly string[] = ['kid', 'kidStd', 'kidReal', 'kidNoise'];
export const KID_SCALE = 1000;

/**
 * KID × 10³ for people: three significant figures at most, no decimals from 100 up ("7364", "338",
 * "12.3", "0.52"). KID's spread between subsets is a few percent, so more digits are noise.
 */
export function formatKid(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const a = Math.abs(value);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  const text = value.toFixed(digits);
  // "-0.00" says nothing a plain 0 does not.
  return Number(text) === 0 ? '0' : text;
}

/** A loss or other plain measure: four significant figures. */
export function formatMeasure(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  return Number(value.toPrecision(4)).toString();
}

/** The best quality a run reached, with its unit: "KID×10³ 7364" (images) or "val loss 1.234" (text). */
export function formatBestMetric(run: Pick<Run, 'family' | 'bestMetric'>): string | null {
  if (run.bestMetric === null) return null;
  return isTextFamily(run.family) ? `val loss ${formatMeasure(run.bestMetric)}` : `KID×10³ ${formatKid(run.bestMetric)}`;
}

/** "2026-11-23 14:05", local time: sortable, and the same in every locale. */
export function formatStarted(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/**
 * Seconds of training between an image run's checkpoints (each one measured for quality) when the user
 * sets no step cadence: a time box gets about six, one to two minutes apart in ten minutes, never closer
 * than 20 s nor further apart than 2 minutes; a run sized in steps, one every 2 minutes. The engine
 * follows it (jobs/train/probe-schedule.ts) and the Train form says it.
 */
export const CHECKPOINTS_PER_BOX = 6;
export function checkpointSeconds(length: TrainLength): number {
  if (!('minutes' in length)) return 120;
  return Math.min(120, Math.max(20, (length.minutes * 60) / CHECKPOINTS_PER_BOX));
}
