import { describeStoreContract } from '../../support/store-contract.js';
import { sqliteStore } from '../../../../../test/support/stores.js';

describeStoreContract('a SQLite file', sqliteStore);
