/**
 * Invite links: makeInvite → parseInvite round-trips every field (names
 * and addresses that need escaping too; channel invites), and every malformed link is an
 * InvalidInviteError saying what is wrong.
 */
import t from 'tap'
import { makeInvite, parseInvite, INVITE_PREFIX } from '../../node/invite.js'
import { identityFromSeed } from '../../node/identity.js'

const bob = identityFromSeed(new Uint8Array(32).fill(2))
const key = Buffer.alloc(32, 7).toString('base64url')
const channel = { id: bob.id, addrs: [], channel: 'kiez', channelId: 'ab'.repeat(32), channelKey: key, epoch: 3, owner: bob.id }
const addrs = [
  `/ip4/10.0.0.5/tcp/7337/p2p/${bob.id}`,
  `/ip6/fd00::5/tcp/7337/p2p/${bob.id}`,
  `/onion3/vww6ybal4bd7szmgncyruucpgfkqahzddi37ktceo3ah7ngmcopnpyyd:7337/p2p/${bob.id}`
]

t.test('round trip', async t => {
  const link = makeInvite({ id: bob.id, name: 'bob', addrs })
  t.ok(link.startsWith(INVITE_PREFIX))
  const none = { channel: undefined, channelKey: undefined, channelId: undefined, epoch: undefined, owner: undefined }
  t.same(parseInvite(link), { id: bob.id, name: 'bob', addrs, ...none })
  t.same(parseInvite(`  ${link}\n`), parseInvite(link), 'whitespace around a pasted link is fine')

  const odd = makeInvite({ id: bob.id, name: 'Jürgen & Co=1?', addrs: [] })
  t.notMatch(odd, / /, 'no raw spaces in a link')
  t.same(parseInvite(odd), { id: bob.id, name: 'Jürgen & Co=1?', addrs: [], ...none })

  const bare = makeInvite({ id: bob.id, addrs: [] })
  t.equal(bare, `${INVITE_PREFIX}v=1&id=${bob.id}`, 'no name, no addresses: just the id')
  t.equal(parseInvite(bare).name, undefined)
  t.equal(makeInvite({ id: bob.id, name: '', addrs: [] }), bare, 'an empty name is left out')

  const pub = makeInvite({ id: bob.id, addrs: [], channel: 'freifunk' })
  t.same(parseInvite(pub), { id: bob.id, name: undefined, addrs: [], ...none, channel: 'freifunk' }, 'a public channel: just its name')
  t.same(parseInvite(makeInvite(channel)), { ...channel, name: undefined }, 'a private channel: id, key, epoch, owner')
})

t.test('at most 16 addresses are taken from a link', async t => {
  const many = Array.from({ length: 20 }, (_, i) => `/ip4/10.0.0.${i + 1}/tcp/7337`)
  t.same(parseInvite(makeInvite({ id: bob.id, addrs: many })).addrs, many.slice(0, 16))
})

t.test('malformed links are rejected with a reason', async t => {
  const cases: Array<[string, string | RegExp]> = [
    ['https://example.org/invite?v=1', `not a funkpost invite link (it must start with ${INVITE_PREFIX})`],
    ['', /not a funkpost invite link/],
    [bob.id, /not a funkpost invite link/],
    [`${INVITE_PREFIX}id=${bob.id}`, 'unsupported invite version (none); update funkpost'],
    [`${INVITE_PREFIX}v=2&id=${bob.id}`, 'unsupported invite version 2; update funkpost'],
    [`${INVITE_PREFIX}v=1`, 'invite link has no valid id'],
    [`${INVITE_PREFIX}v=1&id=12D3KooWbroken`, 'invite link has no valid id'],
    [`${INVITE_PREFIX}v=1&id=${bob.id}&addr=garbage`, 'invite link has a malformed address: garbage'],
    [`${INVITE_PREFIX}v=1&id=${bob.id}&addr=%2Fip4%2F999.0.0.1%2Ftcp%2F1`, 'invite link has a malformed address: /ip4/999.0.0.1/tcp/1'],
    [`${INVITE_PREFIX}v=1&id=${bob.id}&name=${'x'.repeat(5000)}`, 'invite link is too long'],
    [makeInvite({ ...channel, channelId: 'AB'.repeat(32) }), 'channel invite has no valid channel id'],
    [makeInvite({ ...channel, channelId: undefined }), 'channel invite has no valid channel id'],
    [makeInvite({ ...channel, channelKey: Buffer.alloc(16).toString('base64url') }), 'channel invite has no valid 32-byte key'],
    [makeInvite({ ...channel, owner: 'someone' }), 'channel invite has no valid owner id'],
    [makeInvite({ ...channel, epoch: -1 }), 'channel invite has a bad key epoch']
  ]
  for (const [link, message] of cases) {
    t.throws(() => parseInvite(link), { name: 'InvalidInviteError', message }, link.slice(0, 60))
  }
})
