using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace KillSafe.Verification;

/// <summary>What kind of file a path names, without following a symlink (lstat(2)).</summary>
public enum UnixFileKind
{
    /// <summary>Nothing at the path.</summary>
    Missing,

    /// <summary>A Unix domain socket file (S_IFSOCK).</summary>
    Socket,

    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link (never followed).</summary>
    Symlink,

    /// <summary>A FIFO, device or anything else.</summary>
    Other,
}

/// <summary>File-type queries that System.IO cannot answer: it reports a socket file as a normal file.</summary>
public static class UnixFile
{
    /// <summary>The kind of <paramref name="path"/>, by lstat(2).</summary>
    /// <exception cref="VerificationException">lstat failed for another reason than a missing path.</exception>
    public static unsafe UnixFileKind KindOf(string path)
    {
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        stat st;
        int result;
        fixed (byte* p = bytes)
            result = lstat(p, &st);
        if (result != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == ENOENT || errno == ENOTDIR)
                return UnixFileKind.Missing;
            throw new VerificationException($"lstat({path}) failed: errno {errno}");
        }

        var type = (uint)st.st_mode & (uint)S_IFMT;
        if (type == (uint)S_IFSOCK)
            return UnixFileKind.Socket;
        if (type == (uint)S_IFREG)
            return UnixFileKind.Regular;
        if (type == (uint)S_IFDIR)
            return UnixFileKind.Directory;
        if (type == (uint)S_IFLNK)
            return UnixFileKind.Symlink;
        return UnixFileKind.Other;
    }
}
