import { AssertionError } from 'node:assert';
import { describe, expect, it } from '@jest/globals';
import { accept, type Decider, type DomainEvent, reject } from './decider';
import { deciderSpec } from './decider-spec';

// A light switch: enough behaviour to show that the helper folds the history, compares events
// and codes, and fails loudly when an expectation is wrong.
type Command = { readonly type: 'TurnOn'; readonly by: string } | { readonly type: 'TurnOff' };
type Event =
  DomainEvent<'switch.turned-on', { readonly by: string }> | DomainEvent<'switch.turned-off', Record<string, never>>;
type State = { readonly on: boolean };

const light: Decider<Command, State, Event> = {
  initialState: { on: false },
  stateVersion: 1,
  decide: (command, state) => {
    switch (command.type) {
      case 'TurnOn':
        return state.on
          ? reject('SWITCH.ALREADY_ON', 'the light is already on')
          : accept({ type: 'switch.turned-on', data: { by: command.by } });
      case 'TurnOff':
        return state.on ? accept({ type: 'switch.turned-off', data: {} }) : accept();
    }
  },
  evolve: (_state, event) => ({ on: event.type === 'switch.turned-on' }),
};

const on = (by = 'ada'): Event => ({ type: 'switch.turned-on', data: { by } });
const off: Event = { type: 'switch.turned-off', data: {} };

/** Runs an expectation that must fail and returns the AssertionError it threw. */
const failure = (expectation: () => void): AssertionError => {
  try {
    expectation();
  } catch (err) {
    if (err instanceof AssertionError) return err;
    throw err;
  }
  throw new Error('the expectation passed, but it was meant to fail');
};

describe('deciderSpec', () => {
  const spec = deciderSpec(light);

  it('passes when the decided events are the expected ones, folding the given history first', () => {
    spec.when({ type: 'TurnOn', by: 'ada' }).then([on('ada')]);
    spec.given([on()]).when({ type: 'TurnOff' }).then([off]);
    spec
      .given([on(), off])
      .when({ type: 'TurnOn', by: 'bob' })
      .then([on('bob')]);
    spec.given([]).when({ type: 'TurnOff' }).then([]);
  });

  it('passes when the command is refused with the expected code and detail', () => {
    spec.given([on()]).when({ type: 'TurnOn', by: 'bob' }).thenRejects('SWITCH.ALREADY_ON');
    spec
      .given([on()])
      .when({ type: 'TurnOn', by: 'bob' })
      .thenRejects('SWITCH.ALREADY_ON', /already on/);
    spec.given([on()]).when({ type: 'TurnOn', by: 'bob' }).thenRejects('SWITCH.ALREADY_ON', 'light is already');
  });

  it('fails with an AssertionError and a diff when the events differ', () => {
    const err = failure(() => spec.when({ type: 'TurnOn', by: 'ada' }).then([on('bob')]));
    expect(err.message).toContain('given 0 event(s) [], when TurnOn');
    expect(err.message).toMatch(/\+ +by: 'ada'/);
    expect(err.message).toMatch(/- +by: 'bob'/);
    expect(err.actual).toEqual([on('ada')]);
    expect(err.expected).toEqual([on('bob')]);
  });

  it('fails when more, fewer or no events were expected than decided', () => {
    failure(() => spec.given([on()]).when({ type: 'TurnOff' }).then([]));
    failure(() => spec.given([on()]).when({ type: 'TurnOff' }).then([off, off]));
    failure(() => spec.when({ type: 'TurnOff' }).then([off]));
  });

  it('fails when it expected events but the command was refused, naming the code', () => {
    const err = failure(() =>
      spec
        .given([on()])
        .when({ type: 'TurnOn', by: 'bob' })
        .then([on('bob')]),
    );
    expect(err.message).toContain('given 1 event(s) [switch.turned-on], when TurnOn');
    expect(err.message).toContain('refused with SWITCH.ALREADY_ON (the light is already on)');
  });

  it('fails when it expected a refusal but the command was accepted', () => {
    const err = failure(() => spec.when({ type: 'TurnOn', by: 'ada' }).thenRejects('SWITCH.ALREADY_ON'));
    expect(err.message).toContain('expected a refusal with SWITCH.ALREADY_ON, but the command was accepted');
    expect(err.message).toContain('switch.turned-on');
  });

  it('fails on another code or a detail that does not match', () => {
    const refused = () => spec.given([on()]).when({ type: 'TurnOn', by: 'bob' });
    expect(failure(() => refused().thenRejects('SWITCH.BROKEN')).message).toContain('got SWITCH.ALREADY_ON');
    expect(failure(() => refused().thenRejects('SWITCH.ALREADY_ON', /is off/)).message).toContain(
      'does not match /is off/',
    );
    failure(() => refused().thenRejects('SWITCH.ALREADY_ON', 'switched'));
  });
});
