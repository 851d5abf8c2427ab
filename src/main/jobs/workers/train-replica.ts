// Worker thread: one replica of a data-parallel training run (rank ≥ 1). It holds a copy of the
// leader's model and computes its share of every step until the leader stops it. See ../train/parallel.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../../ml/backend';
import { Collective, ParallelAbort } from '../../ml/parallel/collective';
import { replicaModel, serveReplica } from '../../ml/parallel/step';
import type { ReplicaWorkerData } from '../train/parallel';

const d = workerData as ReplicaWorkerData;
const collective = new Collective(d.buffer, d.layout, d.rank);
try {
  await initBackend(d.backend, { threads: d.threads });
  const model = replicaModel(d.state);
  d.state.tensors = []; // the model holds them now
  parentPort!.postMessage({ type: 'ready' });
  serveReplica(model, collective, d.shape);
  model.store.dispose();
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  // Wake the leader (and the other replicas) out of their barriers with the reason, unless they failed first.
  if (!(err instanceof ParallelAbort)) collective.abort(`training worker ${d.rank} failed: ${message}`);
  parentPort!.postMessage({ type: 'error', message });
}
