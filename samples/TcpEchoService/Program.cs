// A TCP echo service with two habits that hurt on Linux:
// - its listener is created with ProtocolType.IP, which misses .NET's implicit SO_REUSEADDR, so a restart
//   right after a crash fails with "Address already in use" while old connections are in TIME_WAIT (KS3002);
// - it resets connections on close to "avoid TIME_WAIT", which throws away replies not yet delivered (KS3003).
using System;
using System.Net;
using System.Net.Sockets;

namespace TcpEchoService;

public static class Program
{
    public static void Main(string[] args)
    {
        int port = args.Length > 0 ? int.Parse(args[0]) : 7007;
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.IP);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(64);
        Console.WriteLine($"echo on 127.0.0.1:{port}");
        while (true)
        {
            var client = listener.Accept();
            var buffer = new byte[4096];
            int read = client.Receive(buffer);
            client.Send(buffer, read, SocketFlags.None);
            client.LingerState = new LingerOption(true, 0);
            client.Close();
        }
    }
}
