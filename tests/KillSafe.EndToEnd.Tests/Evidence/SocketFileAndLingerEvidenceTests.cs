using System.Net;
using System.Net.Sockets;
using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using KillSafe.Verification;
using Xunit;

namespace KillSafe.EndToEnd.Tests.Evidence;

/// <summary>
/// KS2002: a raw Unix socket file stays after SIGKILL and after a clean close; the fixed code removes it on
/// close. KS3003: an abortive close loses data the peer had not read yet; the fixed code delivers all of it.
/// </summary>
public sealed class SocketFileAndLingerEvidenceTests : SocketEvidence
{
    private const string RawUnixServer = """
        using System;
        using System.Text;
        using System.Threading;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        var server = new Server(args[0]);
        server.Start();
        Console.WriteLine("READY");
        if (args[1] == "wait")
            Thread.Sleep(Timeout.Infinite);
        server.Stop();
        Console.WriteLine("STOPPED");

        unsafe class Server
        {
            private readonly string _path;
            private int _fd;

            public Server(string path) => _path = path;

            public void Start()
            {
                _fd = socket(AF_UNIX, SOCK_STREAM, 0);
                sockaddr_un addr = default;
                addr.sun_family = AF_UNIX;
                Encoding.UTF8.GetBytes(_path, new Span<byte>(addr.sun_path, 108));
                if (bind(_fd, (sockaddr*)&addr, SizeOf.sockaddr_un) != 0)
                    throw new InvalidOperationException("bind failed: errno " + errno);
                listen(_fd, 4);
            }

            public void Stop()
            {
                close(_fd);
            }
        }
        """;

    private const string AbortiveServer = """
        using System;
        using System.Net;
        using System.Net.Sockets;

        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        Console.WriteLine("PORT " + ((IPEndPoint)listener.LocalEndPoint!).Port);
        var connection = listener.Accept();
        // Fill the send path without blocking, then close: what is still queued is either delivered or lost.
        connection.Blocking = false;
        var chunk = new byte[64 * 1024];
        long sent = 0;
        try
        {
            while (true)
                sent += connection.Send(chunk);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
        {
        }

        connection.LingerState = new LingerOption(true, 0);
        connection.Close();
        Console.WriteLine("SENT " + sent);
        return 0;
        """;

    [Fact]
    public async Task KS2002_flagged_socket_file_stays_after_clean_close_and_after_SIGKILL()
    {
        var dll = Build(RawUnixServer, "UnixFlagged");
        var clean = Scratch.File("clean.sock");
        var run = Run(dll, clean, "stop");
        Assert.Equal(0, await run.WaitForExitAsync(Timeout));
        Assert.Contains("STOPPED", run.Output);
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(clean)); // close(2) did not remove it

        var killed = Scratch.File("killed.sock");
        var server = Run(dll, killed, "wait");
        await server.WaitForOutputAsync("READY", Timeout);
        await server.KillAsync(KillSignal.Kill, Timeout);
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(killed));
    }

    [Fact]
    public async Task KS2002_fixed_code_removes_the_socket_file_on_close()
    {
        var fixedSource = await FixedAsync(RawUnixServer, "KS2002", new RawUnixSocketNeverUnlinkedAnalyzer(), new UnlinkAfterCloseCodeFix());
        var dll = Build(fixedSource, "UnixFixed");
        var path = Scratch.File("fixed.sock");
        var run = Run(dll, path, "stop");
        Assert.Equal(0, await run.WaitForExitAsync(Timeout));
        Assert.Contains("STOPPED", run.Output);
        Assert.Equal(UnixFileKind.Missing, UnixFile.KindOf(path));
    }

    [Fact]
    public async Task KS3003_abortive_close_loses_data_the_peer_had_not_read()
    {
        var (sent, received, reset) = await ExchangeAsync(Build(AbortiveServer, "LingerFlagged"));
        Assert.True(received < sent, $"sent {sent}, received {received}, reset {reset}: the abortive close should have lost data");
    }

    [Fact]
    public async Task KS3003_graceful_close_delivers_everything()
    {
        var fixedSource = await FixedAsync(AbortiveServer, "KS3003", new AbortiveCloseAnalyzer(), new GracefulCloseCodeFix());
        var (sent, received, reset) = await ExchangeAsync(Build(fixedSource, "LingerFixed"));
        Assert.False(reset);
        Assert.Equal(sent, received);
    }

    // Connects, waits until the server has queued its data and closed, then reads everything it can.
    private async Task<(long Sent, long Received, bool Reset)> ExchangeAsync(string dll)
    {
        var server = Run(dll);
        await server.WaitForOutputAsync("PORT ", Timeout);
        int port = int.Parse(server.Output.Split('\n').First(l => l.StartsWith("PORT ", StringComparison.Ordinal))[5..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(IPAddress.Loopback, port);
        await server.WaitForOutputAsync("SENT ", Timeout);
        long sent = long.Parse(server.Output.Split('\n').First(l => l.StartsWith("SENT ", StringComparison.Ordinal))[5..].Trim(), System.Globalization.CultureInfo.InvariantCulture);

        long received = 0;
        bool reset = false;
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = client.Receive(buffer)) > 0)
                received += read;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            reset = true;
        }

        return (sent, received, reset);
    }
}
