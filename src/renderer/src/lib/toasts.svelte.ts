export interface Toast {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

/** Short messages at the corner: confirmations and errors the user should see. */
class Toasts {
  items = $state<Toast[]>([]);
  private next = 1;

  private push(kind: Toast['kind'], text: string, ms: number): void {
    const id = this.next++;
    this.items.push({ id, kind, text });
    setTimeout(() => this.dismiss(id), ms);
  }

  info(text: string): void {
    this.push('info', text, 3500);
  }

  error(text: string): void {
    this.push('error', text, 8000);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
