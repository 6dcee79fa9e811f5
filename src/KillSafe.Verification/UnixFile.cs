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
    public static UnixFileKind KindOf(string path) => Stat(path)?.Kind ?? UnixFileKind.Missing;

    /// <summary>lstat(2) of <paramref name="path"/>, or null when nothing is there.</summary>
    /// <exception cref="VerificationException">lstat failed for another reason than a missing path.</exception>
    public static unsafe FileEntry? Stat(string path)
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
                return null;
            if (errno == EACCES)
                return null; // a path below an unreadable directory: not ours to inspect
            throw new VerificationException($"lstat({path}) failed: errno {errno}");
        }

        var modified = DateTime.UnixEpoch.AddSeconds((long)st.st_mtim.tv_sec);
        return new FileEntry(path, KindOfMode((uint)st.st_mode), (long)st.st_size, modified, (long)(ulong)st.st_ino);
    }

    private static UnixFileKind KindOfMode(uint mode)
    {
        var type = mode & (uint)S_IFMT;
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
