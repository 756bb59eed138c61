import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface MachineDescription {
  cpus: number;
  cpuModel: string;
  ramGiB: number;
  node: string;
  kernel: string;
  /** 1-minute load average when the bench started: other jobs on the cores skew every figure. */
  load1?: number;
}

/** What the figures were measured on: they mean little without it. */
export function describeMachine(): MachineDescription {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    // os.cpus() reports the same string, but /proc/cpuinfo is what `nproc`-style reports quote.
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1] !== undefined) cpuModel = m[1].trim();
  } catch {
    // Not Linux: keep os.cpus().
  }
  return {
    cpus: cpus().length,
    cpuModel,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: `${process.platform} ${release()}`,
    load1: Math.round((loadavg()[0] ?? 0) * 10) / 10,
  };
}

export function formatMachine(m: MachineDescription): string {
  const load = m.load1 === undefined ? '' : `, load average ${m.load1} at the start`;
  return `${m.cpus} × ${m.cpuModel}, ${m.ramGiB} GiB RAM, Node ${m.node}, ${m.kernel}${load}`;
}
