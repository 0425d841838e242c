import { Command, Flags } from '@oclif/core';
import { ControllerClient } from '../../controller/client';
import { errorMessage } from '../../shared/errors';
import { DEFAULT_API } from '../base';
import { readCredentials, writeCredentials } from '../credentials';
import { openPrompt } from '../prompt';

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
    let { email, password } = flags;
    if (email === undefined || password === undefined) {
      const prompt = openPrompt();
      email ??= await prompt.ask('Email: ');
      if (email) password ??= await prompt.ask('Password: ', true);
      prompt.close();
    }
    if (!email || password === undefined) {
      this.error(`No ${email ? 'password' : 'email'} was given. Type it at the prompt, or pass --email and PAAS_PASSWORD.`, { exit: 1 });
    }
    try {
      const { token } = await new ControllerClient(api).login(email, password);
      writeCredentials({ api, email, token });
    } catch (err) {
      this.error(errorMessage(err), { exit: 1 });
    }
    this.log(`Logged in as ${email}`);
  }
}
