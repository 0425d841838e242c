/**
 * `--json`, one definition for every command that lists or shows something: scripts get
 * the API's resource on stdout, pretty-printed and never coloured, in place of the table
 * people read.
 */
import { Flags } from '@oclif/core';

export const jsonFlag = (description = 'output as JSON') => ({ json: Flags.boolean({ description }) });

export const toJson = (value: unknown): string => JSON.stringify(value, null, 2);
