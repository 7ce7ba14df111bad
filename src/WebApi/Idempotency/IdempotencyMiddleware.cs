using System.Security.Cryptography;
using System.Text;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Application.Common.Exceptions;
using Provisioning.Domain.Common;
using Provisioning.Domain.Tenants;
using Provisioning.WebApi.Authentication;
using Provisioning.WebApi.Errors;
using Provisioning.WebApi.Hosting.FrontDoor;

namespace Provisioning.WebApi.Idempotency;

/// <summary>
/// <c>Idempotency-Key</c> on every POST, PUT, PATCH and DELETE (API.md §10, Stripe's semantics). The request runs in one
/// transaction that this middleware owns (the command's own unit of work joins it): the key is claimed (by the
/// transaction's first statement, in no round trip of its own unless the first command is a save), the request runs,
/// and its answer is stored before the commit — the effect and its stored answer commit together or not at all.
/// <list type="bullet">
/// <item>Same key, same request (method, path and query, <c>On-Behalf-Of</c>, body bytes): the stored answer, byte for
/// byte, with <c>Idempotent-Replayed: true</c>; nothing runs.</item>
/// <item>Same key, different request: 422 <c>idempotency_key_reused</c>. Same key while the first still runs: 409 with
/// <c>Retry-After</c>.</item>
/// <item>Not stored (<see cref="IsStored"/>): 401, 429 and 5xx (their effect, if any, is rolled back; a retry runs
/// afresh); and, as Stripe keeps no answer of a request whose parameters failed validation, 400, 405 and 415: the same
/// key with the request corrected runs (a key that has answered still replays that answer to the same request, 422 to
/// another). Other 4xx (402, 403, 404, 409) are stored: the request's transaction is rolled
/// back and its error answer kept in a transaction of its own.</item>
/// </list>
/// Keys are scoped to the authenticating credential and kept for <c>Provisioning:Idempotency:RetentionHours</c>.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next, ApiExceptionHandler errors)
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";

    public async Task InvokeAsync(HttpContext context)
    {
        if (!Applies(context))
        {
            await next(context);
            return;
        }

        // Resolved here, not as InvokeAsync's parameters: those are resolved for every request, a read included (the unit of
        // work and the store with what they depend on, in the request's scope).
        var unitOfWork = context.RequestServices.GetRequiredService<IUnitOfWork>();
        var store = context.RequestServices.GetRequiredService<IIdempotencyStore>();

        var request = new IdempotentRequest(
            context.User.FindFirst(CredentialClaims.KeyId)!.Value, ReadKey(context), await FingerprintAsync(context));

        var original = context.Response.Body;
        await using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        IdempotencyClaim claim;
        StoredAnswer? stored = null;
        try
        {
            claim = await unitOfWork.InTransactionAsync(
                async ct =>
                {
                    // From the start each time: the unit of work runs this again after PostgreSQL rolled it back for a
                    // conflict with another transaction (a deadlock), so the body is read again and the answer rewritten.
                    context.Request.Body.Position = 0;
                    Forget(context, buffer);
                    store.Claim(request);
                    try
                    {
                        await next(context);
                    }
                    catch (ExpectedException e) when (IsStored(e.Status) && e is not (TenantSuspendedException or IdempotencyKeyTakenException))
                    {
                        throw new StoredError(e); // Rolls the transaction back: nothing of the effect stays.
                    }
                    catch (ExpectedException e) when (IsRefusedAsSent(e.Status))
                    {
                        throw new RefusedAsSent(e); // Rolled back too; answered after a look at the key (below).
                    }

                    if (!IsStored(context.Response.StatusCode))
                    {
                        throw new AnswerNotStored();
                    }

                    await store.SaveAsync(request, Answer(context, buffer), ct);
                    return IdempotencyClaim.Run;
                },
                context.RequestAborted);
        }
        catch (IdempotencyKeyTakenException)
        {
            // Refused by the claim, before anything of this request ran; its transaction has been rolled back. Held (not
            // answered) is "still running" only while no answer is stored: another retry of a request that has answered
            // holds the key for a moment too, and this one gets the answer (or 422), not a 409.
            Forget(context, buffer);
            (claim, stored) = await FindTakenAsync(context, store, request);
        }
        catch (AnswerNotStored)
        {
            // Rolled back; the answer goes out as it is, unless it refused the request as sent and the key has answered.
            claim = IsRefusedAsSent(context.Response.StatusCode)
                ? await AnsweredBeforeAsync(context, buffer, store, request, answer => stored = answer)
                : IdempotencyClaim.Run;
        }
        catch (RefusedAsSent refused)
        {
            Forget(context, buffer);
            await errors.TryHandleAsync(context, refused.Error, context.RequestAborted);
            claim = await AnsweredBeforeAsync(context, buffer, store, request, answer => stored = answer);
        }
        catch (StoredError failure)
        {
            // The effect went with its transaction (and the claim's lock with it). The error answer is rendered and kept
            // in a transaction of its own — unless the key was taken: by an earlier request (the error came before the
            // claim reached the database, as a validation error does) or by a retry in between. Then that answer is sent.
            Forget(context, buffer);
            await errors.TryHandleAsync(context, failure.Error, context.RequestAborted);
            if (await store.SaveAfterRollbackAsync(request, Answer(context, buffer), context.RequestAborted))
            {
                claim = IdempotencyClaim.Run;
            }
            else
            {
                Forget(context, buffer);
                (claim, stored) = await FindTakenAsync(context, store, request);
            }
        }
        finally
        {
            context.Response.Body = original;
        }

        switch (claim)
        {
            case IdempotencyClaim.Run:
                buffer.Position = 0;
                await buffer.CopyToAsync(original, context.RequestAborted);
                break;
            case IdempotencyClaim.Replay:
                await ReplayAsync(context, stored!);
                break;
            case IdempotencyClaim.Reused:
                throw new IdempotencyKeyReusedException();
            case IdempotencyClaim.InProgress:
                context.Response.Headers.RetryAfter = "1";
                await ErrorEnvelope.WriteAsync(context, StatusCodes.Status409Conflict, IdempotencyKeyTakenException.StillRunning);
                break;
        }
    }

    /// <summary>
    /// For a request refused before it reaches this middleware because of what changed since it first ran — an
    /// <c>On-Behalf-Of</c> tenant deleted since, by that very request or another: the answer this credential stored for
    /// the same request under its key, replayed, and true; 422 <c>idempotency_key_reused</c> (thrown) when the key
    /// answered another request; false when there is none (nothing ran: the refusal stands). A retry must get the answer
    /// of the request that ran (API.md §10), not the refusal a new request meets.
    /// </summary>
    public static async Task<bool> TryReplayAsync(HttpContext context)
    {
        if (!Applies(context) || !TryReadKey(context, out var key))
        {
            return false; // (a malformed key: the refusal, not a 400 for the key, as before)
        }

        var request = new IdempotentRequest(context.User.FindFirst(CredentialClaims.KeyId)!.Value, key, await FingerprintAsync(context));
        var (claim, stored) = await context.RequestServices.GetRequiredService<IIdempotencyStore>().FindAsync(request, context.RequestAborted);
        if (claim == IdempotencyClaim.Reused)
        {
            throw new IdempotencyKeyReusedException();
        }

        if (claim != IdempotencyClaim.Replay)
        {
            return false;
        }

        await ReplayAsync(context, stored!);
        return true;
    }

    /// <summary>
    /// The stored answer of a key the database found taken: nothing stored is "still running" (409) even when its holder
    /// has gone since the claim was refused — the client retries.
    /// </summary>
    private static async Task<(IdempotencyClaim Claim, StoredAnswer? Answer)> FindTakenAsync(
        HttpContext context, IIdempotencyStore store, IdempotentRequest request)
    {
        var (claim, stored) = await store.FindAsync(request, context.RequestAborted);
        return (claim == IdempotencyClaim.Run ? IdempotencyClaim.InProgress : claim, stored);
    }

    /// <summary>
    /// For a request refused as sent (kept by no one): whether its key has answered a request before. The refusal may come
    /// before the claim reached the database (most 400s are found before any statement is sent), so the claim could not
    /// say. The same request's retry gets that answer, not a refusal a new request would meet now (an <c>expiresAt</c>
    /// that was in the future when the key was made and is past when the retry comes); a different request 422; while a
    /// request holds the key uncommitted, 409 as for any request sent then (it may yet answer this one). Else (nothing
    /// stored, no one holding it) the refusal stands: <see cref="IdempotencyClaim.Run"/>, the buffer as it is.
    /// </summary>
    private static async Task<IdempotencyClaim> AnsweredBeforeAsync(
        HttpContext context, MemoryStream buffer, IIdempotencyStore store, IdempotentRequest request, Action<StoredAnswer?> found)
    {
        var (claim, answer) = await store.FindAsync(request, context.RequestAborted);
        if (claim == IdempotencyClaim.Run)
        {
            return IdempotencyClaim.Run;
        }

        Forget(context, buffer);
        found(answer);
        return claim;
    }

    /// <summary>Drops an answer written into the buffer (not sent yet), so that another can be written in its place.</summary>
    private static void Forget(HttpContext context, MemoryStream buffer)
    {
        buffer.SetLength(0);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentLength = null;
        context.Response.Headers.ContentType = default;
        context.Response.Headers.Location = default;
        context.Response.Headers.Allow = default; // (a 405's)
    }

    private static StoredAnswer Answer(HttpContext context, MemoryStream buffer) => new(
        context.Response.StatusCode,
        context.Response.ContentType,
        context.Response.Headers.Location.ToString() is { Length: > 0 } location ? location : null,
        buffer.ToArray());

    /// <summary>The methods an <c>Idempotency-Key</c> applies to (API.md §10): every write. The OpenAPI document reads it too.</summary>
    public static bool IsWrite(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);

    private static bool Applies(HttpContext context) =>
        context.Request.Headers.ContainsKey(Header)
        && IsWrite(context.Request.Method)
        && context.GetEndpoint() is not null
        && context.User.Identity?.IsAuthenticated == true;

    /// <summary>
    /// Whether an answer is kept for the key's retries (403 <c>tenant_suspended</c>, which ends with a resume, is never
    /// caught as one). Not a request that was refused as sent (400 bad input, 405 a method
    /// the route does not have, 415 not JSON: "if incoming parameters failed validation … no idempotent result is saved",
    /// Stripe's documentation): a corrected request under the same key runs (a 415 was replayed to the same body sent
    /// again with the right <c>Content-Type</c>, which the fingerprint does not cover; a probe). Nor 401 and 429 (the
    /// credential or its share, not the request) or 5xx (a retry is the remedy).
    /// </summary>
    private static bool IsStored(int status) => !IsRefusedAsSent(status) && status is not (401 or 429) and < 500;

    /// <summary>A request refused as it was sent: bad input (400), a method the route does not have (405), not JSON (415).</summary>
    private static bool IsRefusedAsSent(int status) => status is 400 or 405 or 415;

    private static string ReadKey(HttpContext context) =>
        TryReadKey(context, out var key)
            ? key
            : throw new RequestValidationException(Header, $"{Header} must be 1–{IdempotentRequest.MaxKeyLength} printable ASCII characters, sent once.");

    private static bool TryReadKey(HttpContext context, out string key)
    {
        var values = context.Request.Headers[Header];
        key = values.Count == 1 ? values[0] ?? string.Empty : string.Empty;
        return values.Count == 1 && HeaderText.IsPrintableAscii(key, IdempotentRequest.MaxKeyLength);
    }

    /// <summary>
    /// SHA-256 of the method, path and query, On-Behalf-Of and the body bytes: "the same request". The path is the one
    /// sent, as sent: the server's decoded path shows <c>…/users/a%2Fb%40x.com</c> and <c>…/users/a%252Fb%40x.com</c> (the
    /// users <c>a/b@x.com</c> and <c>a%2Fb@x.com</c>) alike. (For a path without escapes that is the server's path, so
    /// answers stored before this rule still replay.)
    /// </summary>
    private static async Task<byte[]> FingerprintAsync(HttpContext context)
    {
        // Read whole into memory (never a temporary file: a body may carry a secret) and read again by the binder.
        var body = await BufferedBody.ReadAsync(context.Request, context.RequestAborted);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var head = $"{context.Request.Method}\n{SentPath(context)}{context.Request.QueryString}\n{context.Request.Headers[OnBehalfOfMiddleware.Header]}\n";
        hash.AppendData(Encoding.UTF8.GetBytes(head));
        hash.AppendData(body.GetBuffer(), 0, (int)body.Length);
        return hash.GetHashAndReset();
    }

    // The path exactly as sent (escapes kept: '/' and %2F, %2F and %252F, are different requests, as the routes read
    // them), else the server's. Unambiguous in the fingerprint's head: a sent path holds no line break.
    private static string SentPath(HttpContext context) =>
        RawRequestTarget.Path(context) ?? context.Request.Path.ToString();

    private static async Task ReplayAsync(HttpContext context, StoredAnswer answer)
    {
        context.Response.StatusCode = answer.Status;
        context.Response.Headers[ReplayedHeader] = "true";
        context.RequestServices.GetRequiredService<Application.Common.Metrics.ServiceMetrics>().IdempotentReplay();
        if (answer.ContentType is not null)
        {
            context.Response.ContentType = answer.ContentType;
        }

        if (answer.Location is not null)
        {
            context.Response.Headers.Location = answer.Location;
        }

        if (answer.Body.Length > 0)
        {
            context.Response.ContentLength = answer.Body.Length;
            await context.Response.Body.WriteAsync(answer.Body, context.RequestAborted);
        }
    }

    /// <summary>Rolls back the transaction of an answer that is not kept, set as a status without an exception (401, 429, 5xx; 400, 405, 415 of MVC).</summary>
    private sealed class AnswerNotStored : Exception;

    /// <summary>Rolls back the transaction of a request refused as sent (<see cref="IsRefusedAsSent"/>), thrown as a refusal.</summary>
    private sealed class RefusedAsSent(ExpectedException error) : Exception
    {
        public ExpectedException Error { get; } = error;
    }

    /// <summary>Rolls back the transaction of an error answer that is kept (a 4xx other than 401, 429, tenant_suspended).</summary>
    private sealed class StoredError(ExpectedException error) : Exception(error.Message, error) // the error inside, for the unit of work
    {
        public ExpectedException Error { get; } = error;
    }
}
