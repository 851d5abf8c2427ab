/** Whether the renderer can reach the engine (drives the "reconnecting" banner). */
class ConnectionState {
  status = $state<'connecting' | 'open' | 'closed'>('connecting');
}
export const connection = new ConnectionState();
