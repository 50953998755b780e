import { Queue } from 'bullmq';

/** BullMQ job counts of one queue, read from the outside, for stuck-delivery reports. */
export async function queueDepth(socketPath: string, name: string, prefix?: string): Promise<string> {
  const queue = new Queue(name, { connection: { path: socketPath, maxRetriesPerRequest: 1 }, ...(prefix ? { prefix } : {}) });
  try {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed');
    return `${prefix ?? 'bull'}:${name} ${JSON.stringify(counts)}`;
  } finally {
    await queue.close();
  }
}
