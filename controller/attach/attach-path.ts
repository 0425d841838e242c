/** Where a user's terminal attaches to a one-off: a WebSocket on the API, beside the dyno's resource. */
const ATTACH_PATH = /^\/apps\/([^/]+)\/dynos\/([^/]+)\/attach$/;

export function attachPath(app: string, dyno: string): string {
  return `/apps/${app}/dynos/${dyno}/attach`;
}

export function parseAttachPath(pathname: string): { app: string; dyno: string } | undefined {
  const m = ATTACH_PATH.exec(pathname);
  return m ? { app: m[1] as string, dyno: m[2] as string } : undefined;
}
