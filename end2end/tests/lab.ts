// A lab of its own for a test file: the reference estate (lab/up) on free ports in a temp
// directory, and the console serving it. `stop()` stops the console, then `lab/down --purge`,
// and removes the directory: nothing is left running. With `{ consoles: 2 }` (LAB_CONSOLES=2),
// lab/up itself starts three etcd members and a console per region (WDC and DAL) sharing them;
// `url` is then the WDC console's and `consoles` has both.
import { spawn, execFile, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { repo } from './console';

const exec = promisify(execFile);
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(repo, 'target');

export interface LabOptions {
  /** 2: a console per region on a shared etcd store (lab/up with LAB_CONSOLES=2). */
  consoles?: 1 | 2;
  /** HA groups per region (lab/up with LAB_SCALE; default 1, the reference estate). */
  scale?: number;
}

export interface Lab {
  /** Where the console listens, e.g. http://127.0.0.1:43220 (with two consoles, WDC's). */
  url: string;
  /** With `{ consoles: 2 }`: each region's console. */
  consoles?: { WDC: string; DAL: string };
  /** The values of `<run>/lab.env`. */
  env: Record<string, string>;
  /** Runs a command on a lab host over plain ssh, as an operator would; returns stdout. */
  ssh(host: string, command: string): Promise<string>;
  /** The lab's simulator control command (`$LAB_SIM`), e.g. `fault dr-status QM STATUS KB`. */
  sim(...args: string[]): Promise<string>;
  /** Stops (`down`) or restarts (`up`) a host's sshd, as a lost host would vanish. */
  hook(action: 'down' | 'up', host: string): Promise<void>;
  /** Stops the console (with two consoles, WDC's: `fault console-down WDC`). */
  stopConsole(): Promise<void>;
  startConsole(): Promise<void>;
  stop(): Promise<void>;
}

/** A file beside the bastion's mqipt.conf (found on this machine) as the bastion names it. */
export function bastionPath(lab: Lab, local: string): string {
  return lab.env.LAB_REAL_PATHS === '1' ? path.posix.join('/opt/mqipt/installation1/mqipt/HAMQ', path.basename(local)) : local;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The ports a lab of `scale` HA groups per region uses from its base: base..base+29, and from
 * base+32 one per further node (as lab/lib.sh lays them out; sim::ports::lab_blocks). */
function labSpan(scale: number): number {
  return scale > 1 ? 32 + 6 * (scale - 1) : 30;
}

/** A base (a multiple of 32 in 10016..32736, below the kernel's ephemeral ports, so no listener on
 * port 0 or outgoing connection takes one before the lab's daemons bind it) with base..base+span-1 free. */
async function freePortBase(span = 30): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 10016 + 32 * Math.floor(Math.random() * ((32736 - span - 10016) / 32));
    let free = true;
    for (let port = base; port < base + span && free; port++) free = await portFree(port);
    if (free) return base;
  }
  throw new Error(`no free range of ${span} ports on 127.0.0.1`);
}

/** `KEY='value'` lines, as lab/up writes them. */
function readEnvFile(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = line.match(/^([A-Z0-9_]+)='(.*)'$/);
    if (match) env[match[1]] = match[2];
  }
  return env;
}

function hostVar(host: string): string {
  return `LAB_SSH_PORT_${host.toUpperCase().replace(/-/g, '_')}`;
}

function startConsoleProcess(config: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(path.join(targetDir, 'debug', 'rdqm-console'), ['serve', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`console did not start: ${seen}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = seen.match(/listening on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1] });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`console exited with ${code}: ${seen}`));
    });
  });
}

function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const two = options.consoles === 2;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdqm-e2e-'));
  // The lab user's sessions must reach the run directory (authorized_keys lives there).
  fs.chmodSync(dir, 0o755);
  const runDir = path.join(dir, 'run');
  const scale = options.scale ?? 1;
  const base = await freePortBase(labSpan(scale));
  const labEnv = { ...process.env, LAB_RUN_DIR: runDir };
  const down = async () => {
    await exec(path.join(repo, 'lab', 'down'), ['--purge'], { env: labEnv }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  let env: Record<string, string>;
  try {
    await exec(path.join(repo, 'lab', 'up'), [], {
      // Transitions take a tenth of real time: every intermediate state still shows.
      env: {
        ...labEnv,
        LAB_PORT_BASE: String(base),
        RDQM_SIM_BIN: path.join(targetDir, 'debug', 'rdqm-sim'),
        LAB_TIME_SCALE: process.env.LAB_TIME_SCALE ?? '0.1',
        LAB_SCALE: String(scale),
        // lab/up starts both consoles (the binary built by ./build) and the etcd members.
        ...(two ? { LAB_CONSOLES: '2', RDQM_CONSOLE_BIN: path.join(targetDir, 'debug', 'rdqm-console') } : {}),
      },
    });
    env = readEnvFile(path.join(runDir, 'lab.env'));
  } catch (e) {
    await down();
    throw e;
  }

  let console: ChildProcess | undefined;
  let url = two ? env.LAB_CONSOLE_URL_WDC : env.LAB_CONSOLE_URL;
  const sim = async (...args: string[]) => (await exec(env.LAB_SIM, args, { env: labEnv })).stdout;
  const startConsole = async () => {
    if (two) {
      await sim('fault', 'console-up', 'WDC');
      return;
    }
    const started = await startConsoleProcess(env.LAB_CONSOLE_CONFIG);
    console = started.child;
    url = started.url;
  };
  if (!two) {
    try {
      await startConsole();
    } catch (e) {
      await down();
      throw e;
    }
  }

  return {
    get url() {
      return url;
    },
    consoles: two ? { WDC: env.LAB_CONSOLE_URL_WDC, DAL: env.LAB_CONSOLE_URL_DAL } : undefined,
    env,
    async ssh(host, command) {
      const port = env[hostVar(host)];
      if (!port) throw new Error(`no lab host ${host}`);
      const { stdout } = await exec('ssh', [
        '-i', env.LAB_SSH_KEY,
        '-o', `UserKnownHostsFile=${env.LAB_KNOWN_HOSTS}`,
        '-o', 'StrictHostKeyChecking=yes',
        '-o', 'BatchMode=yes',
        '-F', '/dev/null',
        '-p', port,
        `${env.LAB_SSH_USER}@127.0.0.1`,
        command,
      ]);
      return stdout;
    },
    sim,
    async hook(action, host) {
      await exec(path.join(repo, 'lab', 'hook'), [action, host], { env: labEnv });
    },
    stopConsole: async () => {
      if (two) await sim('fault', 'console-down', 'WDC');
      else await stopProcess(console);
    },
    startConsole,
    async stop() {
      await stopProcess(console);
      await down();
    },
  };
}
