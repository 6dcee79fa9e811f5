namespace System.Runtime.CompilerServices;

/// <summary>
/// Lets records and init-only setters compile for netstandard2.0, whose library lacks this marker type (the
/// compiler needs only its name). Internal, so it never clashes with the one of a newer framework.
/// </summary>
internal static class IsExternalInit;
