// The management console's exports (issue 7). index.ts re-exports everything here.
