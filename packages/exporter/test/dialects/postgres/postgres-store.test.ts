import { describeStoreContract } from '../../support/store-contract.js';
import { postgresStore } from '@aitdr/tests/support/stores.js';

describeStoreContract('PostgreSQL (a database created for this file)', postgresStore);
