import { ReaderMonitor } from '../../transports/pcsc/reader-monitor.js';
import { PcscError } from '../../transports/pcsc/pcsc-error.js';

/** Starts a reader monitor for one CLI command and always releases it (so the process exits). */
export async function withMonitor<T>(fn: (monitor: ReaderMonitor) => Promise<T>): Promise<T> {
  const monitor = new ReaderMonitor();
  try {
    await monitor.start();
    if (!monitor.daemonUp) throw new PcscError('daemon_unavailable', 'the PC/SC daemon is not running or not reachable');
    await monitor.settled(2000);
    return await fn(monitor);
  } finally {
    await monitor.stop();
  }
}
