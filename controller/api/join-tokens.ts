/**
 * /join-tokens: operators' tokens that admit new hosts (`paas hosts:join-token`,
 * controller/join/). The secret is in the create answer only, with the command to run
 * on the new machine; lists show ids and states.
 */
import type Router from '@koa/router';
import { z } from 'zod';
import { createJoinToken, DEFAULT_JOIN_TOKEN_TTL_MS, presentJoinToken, revokeJoinToken } from '../join/join-tokens';
import { JoinToken } from '../join/join-models';
import { requireAdmin } from './access';
import type { ControllerServices, Ctx, State } from './context';
import { parseBody } from './validate';

export const createJoinTokenBody = z.object({
  /** 1 minute to 30 days. */
  expires_in_seconds: z.number().int().min(60).max(30 * 24 * 3600).optional(),
});

/** The one command to run on the new machine; NATS's address as hosts reach it when the control plane knows it. */
export function joinCommand(natsUrl: string | undefined, token: string): string {
  return `sudo paas host:join ${natsUrl ?? '<nats-url>'} --token ${token}`;
}

export function joinTokenRoutes(router: Router<State>, s: ControllerServices): void {
  router.post('/join-tokens', async (ctx: Ctx) => {
    const user = requireAdmin(ctx);
    const body = parseBody(createJoinTokenBody, ctx.request.body);
    const ttlMs = body.expires_in_seconds ? body.expires_in_seconds * 1000 : DEFAULT_JOIN_TOKEN_TTL_MS;
    const { token, row } = await createJoinToken(ttlMs, user.email);
    ctx.status = 201;
    ctx.body = { ...presentJoinToken(row), token, nats_url: s.joinNatsUrl ?? null, command: joinCommand(s.joinNatsUrl, token) };
  });

  router.get('/join-tokens', async (ctx) => {
    requireAdmin(ctx);
    ctx.body = (await JoinToken.findAll({ order: [['createdAt', 'DESC']] })).map((t) => presentJoinToken(t));
  });

  router.delete('/join-tokens/:id', async (ctx) => {
    requireAdmin(ctx);
    ctx.body = presentJoinToken(await revokeJoinToken(ctx.params.id!));
  });
}
