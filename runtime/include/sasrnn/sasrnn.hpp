// sasrnn runtime: header-only, no heap. Include this one header.
#pragma once

#include "sasrnn/dynamics.hpp"
#include "sasrnn/kernels.hpp"
#include "sasrnn/model.hpp"
#include "sasrnn/msi.hpp"
#include "sasrnn/network.hpp"
#include "sasrnn/rng.hpp"
#include "sasrnn/status.hpp"
