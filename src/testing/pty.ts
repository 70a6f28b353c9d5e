/**
 * A pseudo-terminal pair in raw mode: the stand-in for a serial port in tests and examples. The
 * `device` end behaves as the port a program opens (a tty: termios, hang-up when the other side
 * goes); the `controller` end is the wire, where the simulated hardware reads and writes.
 *
 * @module
 */
import { readlinkSync } from "node:fs";
import { TCSANOW, TERMIOS_ROOM, loadPty } from "../../ffi/index.ts";
import { lastError, unsupportedError } from "../core/errors.ts";
import { closeDescriptor, setCloseOnExec, setNonblocking } from "../core/fd.ts";
import { validateBoolean, validateOptions } from "../core/validate.ts";

/** A pseudo-terminal pair made by {@link openPty}. Both descriptors are yours to close. */
export interface PtyPair {
  /** The controlling side (the "master"): what the simulated device writes to and reads from. */
  readonly controller: number;
  /** The terminal side, a tty as a serial port is: what the program under test reads. */
  readonly device: number;
  /** The device's path (`/dev/pts/N`) where the platform tells it (Linux), else `null`. */
  readonly path: string | null;
}

/** Options of {@link openPty}. */
export interface OpenPtyOptions {
  /** Make both descriptors nonblocking. Default true. */
  readonly nonblocking?: boolean;
}

/**
 * openpty(3) + cfmakeraw(3): a pseudo-terminal pair whose terminal side is in raw mode (no echo,
 * no line editing, bytes pass as written), both ends close-on-exec.
 *
 * @throws SystemError from openpty (ENOENT: no pty devices) or tcsetattr; ENOTSUP where the C
 *   library has no openpty.
 * @example
 * ```ts
 * import { openPty } from "bunix/testing";
 * const { controller, device } = openPty();
 * // the device end is what a serial-port reader watches; write "hardware" bytes to the controller
 * ```
 */
export function openPty(options?: OpenPtyOptions): PtyPair {
  const nonblocking = validateBoolean(validateOptions(options).nonblocking, "options.nonblocking", true);
  const pty = loadPty();
  if (pty === undefined) throw unsupportedError("openPty", "unavailable: the C library has no openpty");
  const ends = new Int32Array(2);
  if (pty.openpty(ends.subarray(0, 1), ends.subarray(1, 2), null, null, null) !== 0) throw lastError("openpty");
  const [controller, device] = [ends[0]!, ends[1]!];
  try {
    const termios = new Uint8Array(TERMIOS_ROOM);
    if (pty.tcgetattr(device, termios) !== 0) throw lastError("tcgetattr");
    pty.cfmakeraw(termios);
    if (pty.tcsetattr(device, TCSANOW, termios) !== 0) throw lastError("tcsetattr");
    for (const fd of ends) {
      setCloseOnExec(fd);
      if (nonblocking) setNonblocking(fd, true);
    }
  } catch (error) {
    closeDescriptor(controller);
    closeDescriptor(device);
    throw error;
  }
  return { controller, device, path: devicePath(device) };
}

function devicePath(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}
