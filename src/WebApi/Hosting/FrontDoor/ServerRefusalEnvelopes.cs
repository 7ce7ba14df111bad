using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Provisioning.WebApi.Errors;

namespace Provisioning.WebApi.Hosting.FrontDoor;

/// <summary>
/// Kestrel refuses some requests before the application sees them — a malformed request line or path
/// (<c>GET /v2/apps/%00</c>, invalid UTF-8, no leading slash), a malformed header line, a missing Host — and answers
/// them with a bare <c>400</c> and no body. This connection middleware recognises exactly such an answer on its way
/// out (an HTTP/1.x 4xx, or the 505 of a request line naming another HTTP version, with <c>Content-Length: 0</c>, <c>Connection: close</c> and no <c>Content-Type</c>, which the
/// application itself never writes) and gives it the JSON error envelope of the route family the request named
/// (v1.1 when its target's first segment is <c>v1.1</c>, as routing reads it), an <c>X-Request-Id</c>, <c>nosniff</c> and
/// <c>Cache-Control: no-store</c>. Every other byte
/// passes through untouched; the check costs a few byte comparisons per write.
/// </summary>
public static class ServerRefusalEnvelopes
{
    public static void Use(ListenOptions listen) => listen.Use(next => context =>
    {
        var state = new ConnectionState();
        context.Transport = new Transport(context.Transport, state, listen.KestrelServerOptions.Limits);
        return next(context);
    });

    private sealed class ConnectionState
    {
        /// <summary>Whether the last request line seen on this connection named a v1.1 route.</summary>
        public bool LastTargetWasV1;
    }

    private sealed class Transport(IDuplexPipe inner, ConnectionState state, KestrelServerLimits limits) : IDuplexPipe
    {
        public PipeReader Input { get; } = new Reader(inner.Input, state);
        public PipeWriter Output { get; } = new Writer(inner.Output, state, limits);
    }

    private sealed class Reader(PipeReader inner, ConnectionState state) : PipeReader
    {
        private static ReadOnlySpan<byte> V1Segment => "v1.1"u8;

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            // Most reads of a busy connection complete at once: no async state machine for those.
            var pending = inner.ReadAsync(cancellationToken);
            if (pending.IsCompletedSuccessfully)
            {
                var result = pending.Result;
                Note(result.Buffer);
                return new ValueTask<ReadResult>(result);
            }

            return Awaited(pending);
        }

        private async ValueTask<ReadResult> Awaited(ValueTask<ReadResult> pending)
        {
            var result = await pending;
            Note(result.Buffer);
            return result;
        }

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            Note(result.Buffer);
            return true;
        }

        /// <summary>At the start of a request line ("METHOD /target ..."), remembers whether the target is a v1.1 one.</summary>
        private void Note(ReadOnlySequence<byte> buffer)
        {
            Span<byte> head = stackalloc byte[24];
            var length = (int)Math.Min(buffer.Length, head.Length);
            buffer.Slice(0, length).CopyTo(head);
            head = head[..length];
            var space = head.IndexOf((byte)' ');
            if (space is < 3 or > 7 || !IsUpperAscii(head[..space]))
            {
                return;
            }

            state.LastTargetWasV1 = IsV1Target(head[(space + 1)..]);
        }

        /// <summary>
        /// Whether a request target names the v1.1 routes as the router reads them (<see cref="ErrorEnvelope.IsV1"/>): its
        /// first segment is <c>v1.1</c> in any case (<c>/V1.1/apps</c> is routed to v1.1; <c>/v1.10/apps</c> is not).
        /// </summary>
        internal static bool IsV1Target(ReadOnlySpan<byte> target)
        {
            if (!target.StartsWith("/"u8) || target.Length < V1Segment.Length + 1
                || !Ascii.EqualsIgnoreCase(target.Slice(1, V1Segment.Length), V1Segment))
            {
                return false;
            }

            var rest = target[(V1Segment.Length + 1)..];
            return rest.IsEmpty || rest[0] is (byte)'/' or (byte)'?' or (byte)' ' or (byte)'\r';
        }

        private static bool IsUpperAscii(ReadOnlySpan<byte> token)
        {
            foreach (var b in token)
            {
                if (b is < (byte)'A' or > (byte)'Z')
                {
                    return false;
                }
            }

            return true;
        }

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    }

    private sealed class Writer(PipeWriter inner, ConnectionState state, KestrelServerLimits limits) : PipeWriter
    {
        private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        };
        private Memory<byte> _last;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _last = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
            if (bytes > 0 && bytes <= _last.Length && IsBareRefusal(_last.Span[..bytes], out var status))
            {
                // The bytes were not committed yet: write the enveloped answer in their place.
                var replacement = Envelope(_last.Span[..bytes], status, state.LastTargetWasV1, limits);
                replacement.CopyTo(inner.GetSpan(replacement.Length));
                inner.Advance(replacement.Length);
                return;
            }

            inner.Advance(bytes);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        private static bool IsBareRefusal(ReadOnlySpan<byte> written, out int status)
        {
            status = 0;
            if (written.Length is < 20 or > 1024
                || !(written.StartsWith("HTTP/1.1 4"u8) || written.StartsWith("HTTP/1.0 4"u8)
                     || written.StartsWith("HTTP/1.1 505 "u8) || written.StartsWith("HTTP/1.0 505 "u8))
                || !written.EndsWith("\r\n\r\n"u8)
                || written.IndexOf("\r\nContent-Length: 0\r\n"u8) < 0
                || written.IndexOf("\r\nConnection: close\r\n"u8) < 0
                || written.IndexOf("\r\nContent-Type:"u8) >= 0)
            {
                return false;
            }

            status = (written[9] - '0') * 100 + (written[10] - '0') * 10 + (written[11] - '0');
            return status is (>= 400 and < 500) or StatusCodes.Status505HttpVersionNotsupported;
        }

        private static byte[] Envelope(ReadOnlySpan<byte> bare, int status, bool v1, KestrelServerLimits limits)
        {
            var (code, title) = ErrorEnvelope.ForStatus(status);
            title = status switch
            {
                StatusCodes.Status400BadRequest =>
                    // Kestrel's 400s look alike on the wire, so the title names every cause (a probe: an HTTP/1.0 POST without
                    // Content-Length, which proxies speaking HTTP/1.0 send, was told only of a malformed line).
                    "The request is not valid HTTP: a malformed request line, path or header (a header value must be UTF-8 text), "
                    + "no Host header, or a body whose length cannot be read (an HTTP/1.0 POST or PUT must send Content-Length).",
                // The server's own: the application's 408 is a body's, its 431 the headers' size (RequestLimitsMiddleware). Both
                // said what the application's say (a probe: a head that stopped arriving was told "the request body stopped").
                StatusCodes.Status408RequestTimeout =>
                    $"The request's headers did not all arrive within {limits.RequestHeadersTimeout.TotalSeconds:0.###} s; send it again, whole.",
                StatusCodes.Status431RequestHeaderFieldsTooLarge =>
                    $"The request has more than {limits.MaxRequestHeaderCount} header fields, or headers larger than {RequestLimitsMiddleware.MaxHeaderBytes} bytes in all.",
                _ => title,
            };

            var requestId = Guid.NewGuid().ToString("N");
            var inBody = status >= 500 ? requestId : null; // 5xx bodies name it, as every other 5xx does (docs/errors.md)
            object body = v1
                ? new V1ErrorResponse(new V1Error(code, title, inBody))
                : new V2ErrorResponse([new ApiError(code, title, inBody)]);
            var json = JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Json);

            var text = Encoding.ASCII.GetString(bare);
            var headers = text[..^2] // the header block without its final blank line
                .Replace("\r\nContent-Length: 0\r\n", "\r\n", StringComparison.Ordinal);
            var response = new StringBuilder(headers)
                .Append("Content-Type: application/json; charset=utf-8\r\n")
                .Append("Content-Length: ").Append(json.Length).Append("\r\n")
                .Append(RequestIdMiddleware.Header).Append(": ").Append(requestId).Append("\r\n")
                .Append("X-Content-Type-Options: nosniff\r\n")
                .Append("Cache-Control: no-store\r\n") // as every answer of the application's has it
                .Append("\r\n")
                .ToString();
            return [.. Encoding.ASCII.GetBytes(response), .. json];
        }
    }
}
