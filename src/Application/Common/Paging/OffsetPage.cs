using System.Linq.Expressions;
using FluentValidation;
using Microsoft.EntityFrameworkCore;
using Provisioning.Domain.Common;

namespace Provisioning.Application.Common.Paging;

public sealed record OffsetPage<T>(IReadOnlyList<T> Items, bool HasMore, int Offset);
