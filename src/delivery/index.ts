export { createAddressPolicy } from './address-policy.js';
export type { AddressPolicy, AddressPolicyOptions, AddressVerdict } from './address-policy.js';
export { classifyError, classifyStatus, parseRetryAfter } from './classify.js';
export type { AttemptOutcome, DeliveryErrorCode, ErrorClassification } from './classify.js';
export { BlockedAddressError, createDeliveryClient, DEFAULT_USER_AGENT } from './http-client.js';
export type { AttemptResult, DeliveryClient, DeliveryClientOptions } from './http-client.js';
