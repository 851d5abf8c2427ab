/**
 * The studio page's Content-Security-Policy, sent by both doors that serve it: the web host on every
 * response and the Electron shell on its atelier:// protocol (src/renderer/index.html carries the same
 * policy as a meta tag). Here, below both doors, so neither imports the other.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Svelte writes style attributes for layout (virtual grids, sliders); no inline scripts are allowed.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');
