import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStatusFeed } from '../../src/main/electron/status-feed.js';
import { noSession, type StatusView } from '../../src/shared/status-view.js';
import { locked } from './fixtures.js';

test('starts with no session and notifies subscribers of each change', () => {
  const feed = createStatusFeed();
  assert.deepEqual(feed.current(), noSession);
  const seen: StatusView[] = [];
  const off = feed.subscribe((v) => seen.push(v));
  feed.set(locked);
  off();
  feed.set(noSession);
  assert.deepEqual(seen, [locked]);
  assert.deepEqual(feed.current(), noSession);
});

test('refuses a status that breaks the contract and keeps the previous one', () => {
  const feed = createStatusFeed(locked);
  const bad = { ...locked, readers: 'none' } as unknown as StatusView;
  assert.throws(() => feed.set(bad), TypeError);
  assert.deepEqual(feed.current(), locked);
});
