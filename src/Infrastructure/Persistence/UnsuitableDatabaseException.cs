namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// A database the service cannot keep its data in, found before anything is written to it, said in one sentence that the
/// start and the verbs print alone (<c>StartupChecks</c> knows it by its type): one not encoded in UTF-8 applied the first
/// migrations, then failed one with "character … has no equivalent in encoding LATIN1" (SQL_ASCII: "conversion … not
/// supported"), blamed on rows or a schema changed by hand (a probe).
/// </summary>
public sealed class UnsuitableDatabaseException(string message) : InvalidOperationException(message);
