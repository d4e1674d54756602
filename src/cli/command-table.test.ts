import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { COMMAND_NAMES, opensRepository, registerCommands } from './command-table.ts';

const namesOf = (program: Command) => program.commands.flatMap((c) => [c.name(), ...c.aliases()]);

describe('command table', () => {
  it('names exactly the commands and aliases its modules register', async () => {
    const program = new Command('envsnap');
    await registerCommands(program, []);
    assert.deepEqual(namesOf(program).sort(), [...COMMAND_NAMES].sort());
  });

  it('registers only the module of a command named on the command line, found by name or alias', async () => {
    const one = new Command('envsnap');
    await registerCommands(one, ['--repo', '/tmp/r', 'backup', '--live']);
    assert.deepEqual(namesOf(one), ['snapshot:create', 'backup']);
    const keys = new Command('envsnap');
    await registerCommands(keys, ['key:passwd']);
    assert.deepEqual(namesOf(keys), ['key:list', 'key:add', 'key:remove', 'key:passwd']);
  });

  it('registers every command when none is named (overview help, a misspelt command)', async () => {
    const program = new Command('envsnap');
    await registerCommands(program, ['snapshot:craete']);
    assert.equal(program.commands.length, 38);
  });

  it('tells the commands that open the repository of --repo / ENVSNAP_REPO from the others', () => {
    for (const args of [['snapshot:list'], ['--repo', '/r', 'backup', '--live'], ['check', '--read-data'], ['key:passwd'], ['snapshot:unpin', 'abc']]) {
      assert.equal(opensRepository(args), true, args.join(' '));
    }
    for (const args of [[], ['init'], ['env:list'], ['copy', '--from', '/a', '--to', '/b'], ['serve'], ['snapshot:craete'], ['snapshot:list', 'check']]) {
      assert.equal(opensRepository(args), false, args.join(' '));
    }
  });
});
