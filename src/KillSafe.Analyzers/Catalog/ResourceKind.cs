namespace KillSafe.Analyzers.Catalog
{
    /// <summary>
    /// Kinds of operating-system resources that outlive the process that made them
    /// (FACTS.md: the kernel does not remove them when the process dies, whatever the signal).
    /// </summary>
    internal enum ResourceKind
    {
        /// <summary>A Unix domain socket bound to a path: a socket file on disk (not an abstract name).</summary>
        UnixSocketFile,
    }

    /// <summary>What a recognised API does to a resource.</summary>
    internal enum ApiRole
    {
        /// <summary>Creates the resource (for a socket file: binds it, which creates the file).</summary>
        Create,

        /// <summary>Removes the resource by its identity (path, name, key or id).</summary>
        Remove,

        /// <summary>
        /// Carries the identity of a resource without acting on it, such as
        /// <c>new UnixDomainSocketEndPoint(path)</c>: identity flows from the argument to the object.
        /// </summary>
        IdentityCarrier,
    }
}
