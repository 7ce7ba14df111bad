using Npgsql;
using NpgsqlTypes;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// A text parameter of a hand-written statement that may be null: typed as <c>text</c> either way, so that a null does
/// not leave PostgreSQL to infer the type (and an auto-prepared statement keeps one plan for both).
/// </summary>
internal static class TextParameter
{
    public static NpgsqlParameter Of(string? value) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
