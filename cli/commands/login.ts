import { Command, Flags } from '@oclif/core';
import { createInterface } from 'node:readline/promises';
import { ControllerClient } from '../../controller';
import { errorMessage } from '../../shared';
import { DEFAULT_API } from '../base';
import { readCredentials, writeCredentials } from '../credentials';

async function ask(question: string, hidden = false): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY });
  if (hidden && process.stdin.isTTY) {
    // Do not echo the password.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.includes(question)) process.stderr.write(s);
    };
  }
  const answer = await rl.question(question);
  rl.close();
  if (hidden && process.stdin.isTTY) process.stderr.write('\n');
  return answer.trim();
}

export default class Login extends Command {
  static override description = 'log in with your email and password; the token is saved for the CLI and git';
  static override examples = ['$ paas login --api http://127.0.0.1:5000', '$ PAAS_PASSWORD=... paas login --email admin@paas.local'];
  static override flags = {
    api: Flags.string({ description: 'URL of the paas API', env: 'PAAS_API_URL' }),
    email: Flags.string({ char: 'e', description: 'email to log in with', env: 'PAAS_EMAIL' }),
    password: Flags.string({ char: 'p', description: 'password (prefer the prompt or PAAS_PASSWORD)', env: 'PAAS_PASSWORD' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Login);
    const api = (flags.api ?? readCredentials()?.api ?? DEFAULT_API).replace(/\/+$/, '');
    const email = flags.email ?? (await ask('Email: '));
    const password = flags.password ?? (await ask('Password: ', true));
    try {
      const { token } = await new ControllerClient(api).login(email, password);
      writeCredentials({ api, email, token });
    } catch (err) {
      this.error(errorMessage(err), { exit: 1 });
    }
    this.log(`Logged in as ${email}`);
  }
}
