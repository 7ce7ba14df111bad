using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Provisioning.IntegrationTests.Fixtures;

/// <summary>
/// A loopback TCP proxy in front of PostgreSQL, so a test can take the database away and bring it back without
/// touching the server the other tests share: <see cref="Cut"/> drops every open connection and refuses new ones
/// (as a crashed or restarting server does), <see cref="Restore"/> lets connections through again; <see cref="Stall"/>
/// answers nothing any more (a server that hangs).
/// <see cref="OnNextSend"/> acts at one exact message: the next thing a client sends that contains given text.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<TcpClient, byte> _open = new();
    private readonly Task _accepting;
    private volatile bool _cut;
    private volatile TaskCompletionSource? _stall;
    private readonly ConcurrentBag<TcpClient> _held = [];
    private Trap? _trap;

    public TcpProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The connection string with host and port replaced by the proxy's.</summary>
    public static (TcpProxy Proxy, string ConnectionString) InFrontOf(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var proxy = new TcpProxy(builder.Host!, builder.Port);
        builder.Host = "127.0.0.1";
        builder.Port = proxy.Port;
        builder.Timeout = 3;
        return (proxy, builder.ConnectionString);
    }

    public void Cut()
    {
        _cut = true;
        foreach (var client in _open.Keys)
        {
            client.Client?.Close(0);
            _open.TryRemove(client, out _);
        }
    }

    public void Restore() => _cut = false;

    /// <summary>
    /// From now on, what PostgreSQL answers reaches the clients this much later, in order and at its own pace (a database
    /// far away, or one connection's path congested): every answer is as late, however many follow it. A connection's
    /// answers, once lagging, pass no trap and no stall (<see cref="Cut"/> still ends it).
    /// </summary>
    public TimeSpan AnswerLag { get; set; }

    /// <summary>
    /// As a server whose processes are stopped (SIGSTOP) or whose host went away without a reset: the open connections carry
    /// nothing more either way, and new ones are accepted (the kernel does that) but never answered. Until disposed.
    /// </summary>
    public void Stall() => _stall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Once: when a client next sends bytes containing every one of <paramref name="texts"/> (statements in plain text:
    /// use a connection string with <c>Max Auto Prepare=0</c>), awaits <paramref name="before"/> before passing them on
    /// (it may hold them, or <see cref="Cut"/> so they never arrive). With <paramref name="cutBeforeAnswer"/> the bytes
    /// are passed on and everything is cut the moment PostgreSQL answers them: it has done the work, the client never
    /// hears so; with <paramref name="reopenAfterCut"/> new connections are let through again right after that cut (the
    /// open ones lost, the server still there).
    /// </summary>
    public void OnNextSend(string[] texts, Func<Task> before, bool cutBeforeAnswer = false, bool reopenAfterCut = false) =>
        _trap = new Trap([.. texts.Select(System.Text.Encoding.UTF8.GetBytes)], before, cutBeforeAnswer, reopenAfterCut, null);

    /// <summary>
    /// Once: when a client next sends bytes containing every one of <paramref name="texts"/>, passes them on, and puts
    /// <paramref name="stray"/> into PostgreSQL's answer to them, after its first message of type <paramref name="after"/>
    /// (<c>'2'</c>, BindComplete), or in front of it (a message the client does not expect there: it loses the protocol's
    /// sync, as Npgsql did under cancelled statements). The answer's first read is assumed to hold that message whole.
    /// </summary>
    public void OnNextSendPutBeforeTheAnswer(string[] texts, byte[] stray, byte? after = null) =>
        _trap = new Trap([.. texts.Select(System.Text.Encoding.UTF8.GetBytes)], () => Task.CompletedTask, false, false, stray, after);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            if (_cut)
            {
                inbound.Client.Close(0);
                continue;
            }

            if (_stall is not null)
            {
                _held.Add(inbound);
                continue;
            }

            _ = PipeAsync(inbound);
        }
    }

    private async Task PipeAsync(TcpClient inbound)
    {
        using var outbound = new TcpClient();
        try
        {
            await outbound.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            _open[inbound] = 0;
            _open[outbound] = 0;
            var cutOnAnswer = new StrongBox<Trap?>();
            var a = ForwardAsync(inbound.GetStream(), outbound.GetStream(), client: true, cutOnAnswer);
            var b = ForwardAsync(outbound.GetStream(), inbound.GetStream(), client: false, cutOnAnswer);
            await Task.WhenAny(a, b);
        }
        catch (Exception)
        {
            // A cut or a closed side: the other side is closed below.
        }
        finally
        {
            _open.TryRemove(inbound, out _);
            _open.TryRemove(outbound, out _);
            inbound.Dispose();
        }
    }

    private async Task ForwardAsync(NetworkStream from, NetworkStream to, bool client, StrongBox<Trap?> cutOnAnswer)
    {
        var buffer = new byte[64 * 1024];
        System.Threading.Channels.Channel<(DateTime Due, byte[] Data)>? lagging = null;
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            var chunk = buffer.AsMemory(0, read);
            if (!client && (lagging is not null || AnswerLag > TimeSpan.Zero))
            {
                // Once lagging, this connection's answers all go the lagging way, so that none overtakes another.
                if (lagging is null)
                {
                    lagging = System.Threading.Channels.Channel.CreateUnbounded<(DateTime, byte[])>();
                    _ = DeliverLateAsync(lagging.Reader, to);
                }

                await lagging.Writer.WriteAsync((DateTime.UtcNow + AnswerLag, chunk.ToArray()), _stop.Token);
                continue;
            }

            if (_stall is { } stall)
            {
                await stall.Task.WaitAsync(_stop.Token);
            }
            if (!client && cutOnAnswer.Value is { Stray: { } stray } strayed)
            {
                cutOnAnswer.Value = null;
                var at = AfterFirst(chunk.Span, strayed.After);
                await to.WriteAsync(chunk[..at], _stop.Token);
                await to.WriteAsync(stray, _stop.Token);
                chunk = chunk[at..];
            }
            else if (!client && cutOnAnswer.Value is { } tripped)
            {
                Cut();
                if (tripped.ReopenAfterCut)
                {
                    Restore();
                }

                return;
            }

            if (client && _trap is { } trap && trap.Needles.All(n => chunk.Span.IndexOf(n) >= 0)
                && Interlocked.CompareExchange(ref _trap, null, trap) == trap)
            {
                await trap.Before();
                if (_cut)
                {
                    return;
                }

                cutOnAnswer.Value = trap.CutBeforeAnswer || trap.Stray is not null ? trap : null;
            }

            await to.WriteAsync(chunk, _stop.Token);
        }
    }

    private async Task DeliverLateAsync(System.Threading.Channels.ChannelReader<(DateTime Due, byte[] Data)> answers, NetworkStream to)
    {
        try
        {
            await foreach (var (due, data) in answers.ReadAllAsync(_stop.Token))
            {
                if (due - DateTime.UtcNow is { Ticks: > 0 } wait)
                {
                    await Task.Delay(wait, _stop.Token);
                }

                await to.WriteAsync(data, _stop.Token);
            }
        }
        catch (Exception)
        {
            // The connection closed, or the proxy disposed: what was on its way is dropped, as a cut drops it.
        }
    }

    /// <summary>Where the first message of type <paramref name="type"/> in <paramref name="answer"/> ends (0 for none).</summary>
    private static int AfterFirst(ReadOnlySpan<byte> answer, byte? type)
    {
        for (var at = 0; type is not null && at + 5 <= answer.Length;)
        {
            var end = at + 1 + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(answer[(at + 1)..]);
            if (answer[at] == type)
            {
                return Math.Min(end, answer.Length);
            }

            at = end;
        }

        return 0;
    }

    private sealed record Trap(byte[][] Needles, Func<Task> Before, bool CutBeforeAnswer, bool ReopenAfterCut, byte[]? Stray, byte? After = null);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();

        await _accepting;
        foreach (var held in _held) // (after the accepting loop has ended: none accepted meanwhile is missed)
        {
            held.Dispose();
        }
        _stop.Dispose();
    }
}
