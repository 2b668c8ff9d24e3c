import { describeStoreContract } from '../../support/store-contract.js';
import { sqliteStore } from '../../support/stores.js';

describeStoreContract('a SQLite file', sqliteStore);
