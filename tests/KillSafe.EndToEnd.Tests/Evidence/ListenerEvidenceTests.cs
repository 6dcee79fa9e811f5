using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Xunit;

namespace KillSafe.EndToEnd.Tests.Evidence;

/// <summary>
/// KS3001 and KS3002 evidence: a real server serves one connection, closes it first (TIME_WAIT), and is
/// killed with SIGKILL. The flagged server cannot bind its port again; the one each fix produces can.
/// </summary>
public sealed class ListenerEvidenceTests : SocketEvidence
{
    // KS3001: a raw Tmds.LibC listener.
    private const string RawServer = """
        using System;
        using System.Threading;
        using Tmds.Linux;
        using static Tmds.Linux.LibC;

        unsafe
        {
            ushort port = ushort.Parse(args[0]);
            int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in addr = default;
            addr.sin_family = AF_INET;
            addr.sin_port = (ushort)((port >> 8) | (port << 8));
            if (bind(fd, (sockaddr*)&addr, SizeOf.sockaddr_in) != 0)
            {
                Console.WriteLine("BIND-FAILED errno " + errno);
                return 3;
            }

            listen(fd, 8);
            Console.WriteLine("READY");
            int connection = accept(fd, null, null);
            byte* request = stackalloc byte[5];
            int got = 0;
            while (got < 5)
                got += (int)recv(connection, request + got, 5 - got, 0);
            shutdown(connection, SHUT_RDWR);
            close(connection);
            Console.WriteLine("SERVED");
            Thread.Sleep(Timeout.Infinite);
            return 0;
        }
        """;

    // KS3002: a managed listener created with ProtocolType.IP.
    private const string ManagedServer = """
        using System;
        using System.Net;
        using System.Net.Sockets;
        using System.Threading;

        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.IP);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, int.Parse(args[0])));
        }
        catch (SocketException e)
        {
            Console.WriteLine("BIND-FAILED " + e.SocketErrorCode);
            return 3;
        }

        listener.Listen(8);
        Console.WriteLine("READY");
        using (var connection = listener.Accept())
        {
            var request = new byte[5];
            int got = 0;
            while (got < 5)
                got += connection.Receive(request, got, 5 - got, SocketFlags.None);
            connection.Shutdown(SocketShutdown.Both);
        }

        Console.WriteLine("SERVED");
        Thread.Sleep(Timeout.Infinite);
        return 0;
        """;

    [Fact]
    public async Task KS3001_flagged_raw_listener_cannot_rebind_during_TIME_WAIT()
    {
        var dll = Build(RawServer, "RawFlagged");
        int port = FreePort();
        await ServeAndKillAsync(dll, port);
        Assert.Contains("BIND-FAILED errno 98", await RestartAsync(dll, port)); // EADDRINUSE
    }

    [Fact]
    public async Task KS3001_fixed_raw_listener_rebinds_at_once()
    {
        var fixedSource = await FixedAsync(RawServer, "KS3001", new RawListenerWithoutReuseAddressAnalyzer(), new RawReuseAddressCodeFix());
        var dll = Build(fixedSource, "RawFixed");
        int port = FreePort();
        await ServeAndKillAsync(dll, port);
        Assert.Contains("READY", await RestartAsync(dll, port));
    }

    [Fact]
    public async Task KS3002_flagged_managed_listener_cannot_rebind_during_TIME_WAIT()
    {
        var dll = Build(ManagedServer, "ManagedFlagged");
        int port = FreePort();
        await ServeAndKillAsync(dll, port);
        Assert.Contains("BIND-FAILED AddressAlreadyInUse", await RestartAsync(dll, port));
    }

    [Fact]
    public async Task KS3002_protocol_tcp_fix_rebinds_at_once()
    {
        var fixedSource = await FixedAsync(ManagedServer, "KS3002", new ManagedListenerMissesReuseAddressAnalyzer(), new UseTcpProtocolCodeFix());
        Assert.Contains("ProtocolType.Tcp", fixedSource);
        var dll = Build(fixedSource, "ManagedTcp");
        int port = FreePort();
        await ServeAndKillAsync(dll, port);
        Assert.Contains("READY", await RestartAsync(dll, port));
    }

    [Fact]
    public async Task KS3002_reuse_address_fix_rebinds_at_once()
    {
        var fixedSource = await FixedAsync(ManagedServer, "KS3002", new ManagedListenerMissesReuseAddressAnalyzer(), new ReuseAddressBeforeBindCodeFix());
        Assert.Contains("SocketOptionName.ReuseAddress", fixedSource);
        var dll = Build(fixedSource, "ManagedReuse");
        int port = FreePort();
        await ServeAndKillAsync(dll, port);
        Assert.Contains("READY", await RestartAsync(dll, port));
    }
}
