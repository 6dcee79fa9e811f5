using System.Net.Sockets;

namespace KillSafe.Verification;

/// <summary>The outcome of trying to take a resource again, as a restarted program would.</summary>
/// <param name="Succeeded">True when the resource could be taken at once.</param>
/// <param name="Error">The socket error when it could not.</param>
/// <param name="What">What was tried, for messages.</param>
public sealed record RestartResult(bool Succeeded, SocketError Error, string What)
{
    /// <inheritdoc/>
    public override string ToString() => Succeeded ? $"{What}: ok" : $"{What}: {Error}";
}

/// <summary>Can a restarted program take the same socket path (or port, or key) again right away?</summary>
public static class RestartCheck
{
    /// <summary>
    /// Binds a stream Unix socket to <paramref name="path"/> and releases it again. A successful bind
    /// creates the socket file; disposing the socket removes it (FACTS.md), so the check leaves nothing.
    /// </summary>
    public static RestartResult UnixSocketPath(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            return new RestartResult(true, SocketError.Success, $"bind {path}");
        }
        catch (SocketException e)
        {
            return new RestartResult(false, e.SocketErrorCode, $"bind {path}");
        }
    }
}
