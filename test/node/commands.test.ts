import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandList, commands } from '../../src/discord/commands.ts';
import { BOT_VERSION } from '../../src/version.ts';

describe('command definitions', () => {
  it('each entry is registered under its own name', () => {
    for (const [key, command] of Object.entries(commands)) expect(command.name).toBe(key);
  });

  it('every command fits Discord\'s rules and works in servers and DMs, installed either way', () => {
    for (const command of commandList()) {
      expect(command.name).toMatch(/^[-_'\p{Ll}\p{N}]{1,32}$/u);
      expect(command.description.length).toBeGreaterThanOrEqual(1);
      expect(command.description.length).toBeLessThanOrEqual(100);
      expect(command.type).toBe(1);
      expect(command.integration_types).toEqual([0, 1]);
      expect(command.contexts).toEqual([0, 1, 2]);
    }
  });

  it('the User-Agent version matches package.json', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(BOT_VERSION).toBe(pkg.version);
  });
});
