/** Signal names for kill(): 'HUP', 'SIGHUP' and 1 all mean SIGHUP; anything else is refused. */
import { constants } from 'node:os';
import { InvalidInputError } from '../shared';

const byNumber = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name.slice(3)]));

/** The runtime's spelling ('HUP') of a signal given by name or number. */
export function signalName(signal: string | number): string {
  if (typeof signal === 'number') {
    const name = byNumber.get(signal);
    if (!name) throw new InvalidInputError(`unknown signal: ${signal}`, 'invalid_signal');
    return name;
  }
  const upper = signal.toUpperCase();
  const full = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (!(full in constants.signals)) throw new InvalidInputError(`unknown signal: ${signal}`, 'invalid_signal');
  return full.slice(3);
}
