/** MemoryStore against the BlobStore contract. */
import { describeBlobStore } from '../../testing/blob-store-contract.ts';
import { MemoryStore } from './memory-store.ts';

describeBlobStore('MemoryStore', async () => ({ store: new MemoryStore(), cleanup: async () => {} }));
