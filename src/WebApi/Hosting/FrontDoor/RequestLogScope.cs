using System.Buffers;
using System.Text;
using Provisioning.Domain.Common;
using Provisioning.WebApi.Authentication;

namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// The logging scope of a request: its id from the start (<see cref="RequestIdMiddleware"/> opens it once the id is
/// settled, so every line of the request carries it, the exception handler's included), and its tenant and key ids once
/// authentication has found them (<see cref="NoteCaller"/>, after authentication), and the tenant an account key acts in
/// with <c>On-Behalf-Of</c> once that is settled (<see cref="NoteActingTenant"/>: the key's own tenant alone told an
/// operator reading a failed request's lines nothing of where it acted). One small object instead of a
/// dictionary; the values are copied in as strings, so a line written later, from work the request started, never reads
/// a pooled <see cref="HttpContext"/> that already serves another request. Log providers see the key/value pairs
/// <c>RequestId</c>, <c>TenantId</c>, <c>KeyId</c>, <c>RequestPath</c>, and <c>OnBehalfOf</c> when one was settled; text
/// formatters the same as <c>RequestId:… TenantId:… KeyId:… [OnBehalfOf:…] RequestPath:…</c>.
/// <para>ASP.NET Core's own scope (the connection's request id, the path, the connection id) is off
/// (<see cref="Observability.HostingCategory"/> at <c>None</c>): it held the whole path twice,
/// so a client without credentials sending 8 KB paths wrote 17 KB of log per 401 (a probe). The path here is cut at
/// <see cref="MaxPathLength"/> characters, and holds no email address (<see cref="PathsWithoutAddresses"/>).</para>
/// </summary>
public sealed class RequestLogScope(string requestId, string? path) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public const int MaxPathLength = 120;

    private readonly string _path = Printable(path is null ? string.Empty : Text.Shortened(PathsWithoutAddresses.Of(path), MaxPathLength));
    private string? _tenantId;
    private string? _keyId;
    private string? _onBehalfOf;

    public int Count => _onBehalfOf is null ? 4 : 5;

    /// <summary>What a logged path holds percent-encoded: what <see cref="Text.MayForgeALogLine"/> names, '%' and the space.</summary>
    private static bool IsEncoded(Rune rune) => rune.Value is '%' or ' ' || Text.MayForgeALogLine(rune);

    /// <summary>
    /// The characters <see cref="IsEncoded"/> names, for the fast path's one vectorised scan: made from it once, so the two
    /// cannot drift apart (every such character is in the Basic Multilingual Plane, as a line break or bidi control is).
    /// </summary>
    private static readonly SearchValues<char> NotAsSent = SearchValues.Create(
        [.. Enumerable.Range(0, 0x10000).Where(c => !char.IsSurrogate((char)c) && IsEncoded(new Rune(c))).Select(c => (char)c)]);

    /// <summary>
    /// The path with what could forge a text log line percent-encoded again as UTF-8 (<see cref="Text.MayForgeALogLine"/>:
    /// the server decoded <c>%0A</c> to a line end, <c>%E2%80%A8</c> to a line separator, <c>%E2%80%AE</c> to a
    /// right-to-left override), a '%' the client sent encoded (<c>%25</c>) as <c>%25</c>, so that a logged <c>%0A</c>
    /// is always a line end the client sent, never the three characters, and a space as <c>%20</c>, which a text format
    /// would show as a field's end (<see cref="ToString"/>): a line must not be split, coloured or reordered by what a
    /// client put in its path, nor read as holding what it did not (probes). Cut at
    /// <see cref="MaxPathLength"/> characters first, so an encoded path is longer (at most nine characters for each).
    /// </summary>
    private static string Printable(string path)
    {
        if (path.AsSpan().IndexOfAny(NotAsSent) < 0)
        {
            return path; // every request: no allocation, vectorised
        }

        var printable = new StringBuilder(path.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in path.EnumerateRunes())
        {
            if (!IsEncoded(rune))
            {
                printable.Append(rune.ToString());
                continue;
            }

            for (var i = 0; i < rune.EncodeToUtf8(utf8); i++)
            {
                printable.Append('%').Append(utf8[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return printable.ToString();
    }

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("RequestId", requestId),
        1 => new("TenantId", _tenantId),
        2 => new("KeyId", _keyId),
        3 => new("RequestPath", _path),
        4 when _onBehalfOf is not null => new("OnBehalfOf", _onBehalfOf),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>Middleware after authentication: the caller's tenant and key ids join the request's scope.</summary>
    public static Task NoteCaller(HttpContext context, RequestDelegate next)
    {
        if (context.Features.Get<RequestLogScope>() is { } scope && context.User.FindFirst(CredentialClaims.KeyId)?.Value is { } keyId)
        {
            scope._tenantId = context.User.FindFirst(CredentialClaims.TenantId)?.Value;
            scope._keyId = keyId;
        }

        return next(context);
    }

    /// <summary>
    /// <see cref="Authentication.OnBehalfOfMiddleware"/>, once the access policy let the account key act in
    /// <paramref name="tenantId"/> (a tenant id: the policy found it, so it is printable and short).
    /// </summary>
    public static void NoteActingTenant(HttpContext context, string tenantId)
    {
        if (context.Features.Get<RequestLogScope>() is { } scope)
        {
            scope._onBehalfOf = tenantId;
        }
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// The text formats' form. A client's request id may hold spaces (printable ASCII, API.md), which here would read as
    /// more fields — an <c>X-Request-Id</c> of <c>x TenantId:… KeyId:…</c> made a refused request read as another
    /// caller's (a probe) — so its spaces, and the '%' that would make an encoded space ambiguous, are percent-encoded in
    /// this form only (the key/value pair structured formats write keeps it as sent, as answers carry it); the path has
    /// neither already (<see cref="Printable"/>).
    /// </summary>
    public override string ToString() => _keyId is null
        ? $"RequestId:{Spaceless(requestId)} RequestPath:{_path}"
        : $"RequestId:{Spaceless(requestId)} TenantId:{_tenantId} KeyId:{_keyId}{(_onBehalfOf is null ? null : " OnBehalfOf:" + _onBehalfOf)} RequestPath:{_path}";

    private static string Spaceless(string value) =>
        value.AsSpan().IndexOfAny(' ', '%') < 0 ? value : value.Replace("%", "%25", StringComparison.Ordinal).Replace(" ", "%20", StringComparison.Ordinal);
}
