using Microsoft.AspNetCore.Http.Features;

namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// The request target as the client sent it (<see cref="IHttpRequestFeature.RawTarget"/>), before the server decoded its
/// escapes and collapsed its dot segments into <see cref="HttpRequest.Path"/> — the one place that reads it, for the
/// three questions only it answers: whether the path had a <c>.</c>/<c>..</c> segment, which request an
/// <c>Idempotency-Key</c> was sent with, and what a route value holding <c>%2F</c> was.
/// </summary>
public static class RawRequestTarget
{
    private static readonly char[] Separators = ['/', '\\'];

    /// <summary>
    /// The path as sent, still escaped: an origin-form target up to its query, or the path of an absolute-form one
    /// (<c>http://host/path</c>, whose scheme and authority are taken off). Null when the server does not say (an in-memory
    /// test host).
    /// </summary>
    public static string? Path(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target))
        {
            return null;
        }

        var end = target.AsSpan().IndexOfAny('?', '#');
        var path = end >= 0 ? target[..end] : target;
        if (path.StartsWith('/'))
        {
            return path;
        }

        // Absolute-form: System.Uri, which the server parses it with, ends the authority at '/' or '\'.
        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return path;
        }

        var start = path.IndexOfAny(Separators, scheme + 3);
        return start < 0 ? "/" : path[start..];
    }

    /// <summary>
    /// Whether the path as sent has a <c>.</c> or <c>..</c> segment, escaped or not. Segments end at '/' and at '\', which
    /// the server's parser of an absolute-form target takes as '/' before it collapses the dots.
    /// </summary>
    public static bool HasDotSegment(HttpContext context)
    {
        var path = Path(context).AsSpan();
        if (!path.ContainsAny('.', '%'))
        {
            return false; // nearly every request
        }

        foreach (var range in path.SplitAny(Separators))
        {
            // "." or ".." with either dot escaped is at most 6 characters ("%2E%2E").
            var segment = path[range];
            if (segment is "." or ".." || (segment.Length <= 6 && segment.Contains('%') && Uri.UnescapeDataString(segment.ToString()) is "." or ".."))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The path's last segment as sent (still escaped), or null when the server does not say.</summary>
    public static string? LastSegment(HttpContext context)
    {
        var path = Path(context)?.TrimEnd('/');
        return path?[(path.LastIndexOf('/') + 1)..];
    }
}
