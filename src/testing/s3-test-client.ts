/**
 * A plain AWS SDK client of a test S3 server (testing/servers.ts), for tests that look at — or tamper
 * with — a bucket behind a store's back. Kept apart from servers.ts so that test files which only
 * need MariaDB or Redis do not load the SDK.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Info } from './servers.ts';

export function testS3Client(info: S3Info): S3Client {
  return new S3Client({
    endpoint: info.endpoint,
    region: info.region,
    forcePathStyle: true,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
