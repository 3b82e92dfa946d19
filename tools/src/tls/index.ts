export { createCa, issueCert, writeCertFiles } from './pki.js';
export type {
  CertFiles,
  CertUsage,
  CertificateAuthority,
  IssueOptions,
  IssuedCert,
} from './pki.js';
