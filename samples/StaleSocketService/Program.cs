// A tiny echo service on a Unix domain socket, written the way many services are: it binds its socket
// path directly. Kill it with `kill -9` and start it again: the second start fails with
// "Address already in use" because the socket file of the first run is still there (KS2001). Stop it with
// SIGTERM (systemctl stop, docker stop) and the file stays too: its `using` never runs on a signal (KS4001).
using System;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace StaleSocketService;

public static class Program
{
    public static int Main(string[] args)
    {
        var path = args.Length > 0 ? args[0] : "/tmp/stale-socket-service.sock";
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"cannot bind {path}: {e.SocketErrorCode}");
            return 1;
        }

        listener.Listen(16);
        Console.WriteLine($"listening on {path}");
        while (true)
        {
            using var client = listener.Accept();
            var buffer = new byte[1024];
            int read = client.Receive(buffer);
            client.Send(Encoding.UTF8.GetBytes("echo: " + Encoding.UTF8.GetString(buffer, 0, read)));
            Thread.Sleep(0);
        }
    }
}
