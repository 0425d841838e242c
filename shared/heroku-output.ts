/**
 * Heroku's output grammar, defined in one place. Everything streamed to `git push`
 * (and later to `paas logs`) is written through these helpers so it reads like Heroku:
 *
 *   -----> Node.js app detected
 *          Installing node 20.20.2
 *    !     Push rejected, no Cloud Native Buildpack groups detected.
 */
export const topic = (text: string): string => `-----> ${text}\n`;
export const detail = (text: string): string => `       ${text}\n`;
export const error = (text: string): string => ` !     ${text}\n`;
