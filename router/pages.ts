/** The router's own error pages, each with a Heroku-style code and what to do. */
import type http from 'node:http';

const page = (title: string, text: string): string =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body style="font-family:sans-serif;margin:4em auto;max-width:40em"><h1>${title}</h1><p>${text}</p></body></html>\n`;

export function sendError(res: http.ServerResponse, status: number, code: string, title: string, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'x-paas-error': code, connection: 'close' });
  res.end(page(title, text));
}

export const noSuchApp = (res: http.ServerResponse): void =>
  sendError(res, 404, 'no_such_app', 'No such app', 'There is no app configured at that hostname. Check the address, or add it with <code>paas domains:add</code>.');

export const noWebProcesses = (res: http.ServerResponse): void =>
  sendError(res, 503, 'H14', 'Application unavailable', 'This app has no running web processes. Scale it up with <code>paas ps:scale web=1</code>.');

export const backendFailed = (res: http.ServerResponse): void =>
  sendError(res, 502, 'H13', 'Application error', 'The app did not answer the request. Its log (<code>paas logs</code>) may say why.');

export const backlogTooDeep = (res: http.ServerResponse): void =>
  sendError(res, 503, 'H11', 'Backlog too deep', 'Every web process of this app is busy and too many requests are waiting. Scale up with <code>paas ps:scale web=N</code>, or make requests faster.');

export const waitedTooLong = (res: http.ServerResponse, seconds: number): void =>
  sendError(res, 503, 'H12', 'Request timeout', `No web process of this app was free within ${seconds} s. Scale up with <code>paas ps:scale web=N</code>, or make requests faster.`);
