// The peers, bundled by esbuild into www/vendor/peers.js (lib/peers.mjs):
// Uppy 6 (core + the S3 uploader, and its own SigV4 presigner, which the
// page uses to send Uppy's Complete through the <Location> shim), the AWS
// SDK v3's S3 client and lib-storage's Upload, and hash-wasm's streaming
// SHA-256.
export { default as Uppy } from '@uppy/core';
export { default as AwsS3 } from '@uppy/aws-s3';
export { createSigV4Presigner } from '../node_modules/@uppy/aws-s3/lib/s3-client/signer.js';
export { createSHA256 } from 'hash-wasm';
export { S3Client } from '@aws-sdk/client-s3';
export { Upload } from '@aws-sdk/lib-storage';
