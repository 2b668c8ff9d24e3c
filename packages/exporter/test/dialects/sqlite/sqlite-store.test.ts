import { describeStoreContract } from '../../support/store-contract.js';
import { sqliteStore } from '@aitdr/tests/support/stores.js';

describeStoreContract('a SQLite file', sqliteStore);
