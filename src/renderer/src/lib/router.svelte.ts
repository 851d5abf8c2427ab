/**
 * Hash routes, so the web host needs no server-side routing and Electron's custom protocol serves one
 * file: #/projects, #/p/<projectId>/<view>.
 */
export const VIEWS = ['datasets', 'train', 'create', 'gallery', 'export'] as const;
export type ProjectView = (typeof VIEWS)[number];
export type Route = { view: 'projects' } | { view: 'about' } | { view: ProjectView; projectId: number | null };

export function parseHash(hash: string): Route {
  // A query after the view (#/p/1/create?run=5) is the view's own business, not part of the route.
  const parts = hash.replace(/^#\/?/, '').split('?')[0]!.split('/').filter(Boolean);
  if (parts[0] === 'about') return { view: 'about' };
  if (parts[0] === 'p' && parts[1] && /^\d+$/.test(parts[1])) {
    const view = (VIEWS as readonly string[]).includes(parts[2] ?? '') ? (parts[2] as ProjectView) : 'datasets';
    return { view, projectId: Number(parts[1]) };
  }
  if ((VIEWS as readonly string[]).includes(parts[0] ?? '')) return { view: parts[0] as ProjectView, projectId: null };
  return { view: 'projects' };
}

export function hashOf(route: Route): string {
  if (route.view === 'projects') return '#/projects';
  if (route.view === 'about') return '#/about';
  return route.projectId === null ? `#/${route.view}` : `#/p/${route.projectId}/${route.view}`;
}

class Router {
  route = $state<Route>(parseHash(location.hash));

  constructor() {
    window.addEventListener('hashchange', () => (this.route = parseHash(location.hash)));
  }

  go(route: Route): void {
    const hash = hashOf(route);
    if (location.hash !== hash) location.hash = hash;
    this.route = route;
  }
}

export const router = new Router();
