import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openBlob, sealBlob } from './blob-codec.ts';
import { BlobFlags, BlobType, blobId, deriveBlobIdKeys } from './blob.ts';

const keys = { encrypt: randomBytes(32), ids: deriveBlobIdKeys(randomBytes(32)) };

function roundTrip(data: Buffer): number {
  const id = blobId(keys.ids, BlobType.data, data);
  const { sealed, flags } = sealBlob(keys.encrypt, BlobType.data, id, Buffer.from(data));
  assert.deepEqual(openBlob(keys, BlobType.data, id, flags, data.length, sealed), data);
  return flags;
}

test('text is stored compressed and random bytes as they are, whatever their size', () => {
  const line = 'INSERT INTO `catalog_product_entity` VALUES (1,4,\'simple\',\'SKU-000123\',0,0);\n';
  for (const size of [100, 2000, 40_000, 1_500_000]) {
    const text = Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size));
    assert.equal(roundTrip(text) & BlobFlags.zstd, BlobFlags.zstd, `${size} bytes of text`);
    assert.equal(roundTrip(randomBytes(size)) & BlobFlags.zstd, 0, `${size} random bytes`);
  }
});

test('a blob compressed by its sample is opened to the same bytes and verified against its id', () => {
  const data = Buffer.concat([Buffer.alloc(600_000, 'a'), randomBytes(10)]);
  const id = blobId(keys.ids, BlobType.data, data);
  const { sealed, flags } = sealBlob(keys.encrypt, BlobType.data, id, Buffer.from(data));
  assert.ok(sealed.length < 10_000);
  const other = blobId(keys.ids, BlobType.data, randomBytes(10));
  assert.throws(() => openBlob(keys, BlobType.data, other, flags, data.length, sealed), /failed authentication/);
});
