using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Exceptions;

/// <summary>An <c>Idempotency-Key</c> was sent again with a different request: 422, nothing runs.</summary>
public sealed class IdempotencyKeyReusedException()
    : ExpectedException("idempotency_key_reused", 422, "This Idempotency-Key was already used with a different request (method, path and query, On-Behalf-Of or body); use a new key for a new request.");
